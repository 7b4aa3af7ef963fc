"""The relay: publishes to Kafka what writers left in the outbox."""
