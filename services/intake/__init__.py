"""The intake service: requests in over HTTP and the intake topic, stored as events."""
