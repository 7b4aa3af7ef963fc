"""`python -m deploy.bench.pipeline` (or `python deploy/bench/pipeline`)."""

from deploy.bench.pipeline.cli import main

raise SystemExit(main())
