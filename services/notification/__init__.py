"""The notification service (built in the pipeline issue)."""
