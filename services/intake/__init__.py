"""The intake service (built in the pipeline issue)."""
