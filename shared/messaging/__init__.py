"""Kafka plumbing shared by the services (FastStream over aiokafka)."""
