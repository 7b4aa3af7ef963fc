"""The verification service (built in the pipeline issue)."""
