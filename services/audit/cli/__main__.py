"""`python -m services.audit.cli`."""

from services.audit.cli import main

main()
