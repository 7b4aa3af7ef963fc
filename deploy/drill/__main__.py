"""`python -m deploy.drill` (or `python deploy/drill`)."""

from deploy.drill.cli import main

raise SystemExit(main())
