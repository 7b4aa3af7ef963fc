"""jemput's services: intake, verification, notification. They talk only through Kafka."""
