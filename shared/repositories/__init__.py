"""What several services keep in, or read from, the store besides the event store itself,
each behind a port: the history repository over the log (`histories.py`:
`ApplicantHistories`), the tracking-code index (`tracking.py`) and the access log
(`access_log.py`). Each has a MongoDB version and, where a test needs one, an in-memory
one held to the same contract (tests/contract/).

Importing the package imports nothing: take the module you need."""
