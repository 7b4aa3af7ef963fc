"""`python -m services.relay` (or `jemput-relay`): publishes what writers left in the
outbox, with health and metrics over HTTP."""

from services.relay.bootstrap import main

main()
