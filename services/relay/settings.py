from shared.settings import ServiceSettings

DEAD_LETTER_TOPICS = [
    "jemput.intake.dlq.v1",
    "jemput.verification.dlq.v1",
    "jemput.notification.dlq.v1",
    "jemput.dashboard.dlq.v1",
]


class RelaySettings(ServiceSettings):
    """The relay's own settings are the relay_* ones every service reads (settings.py);
    it listens only for health and metrics. It also measures the installation's consumer
    lag and dead letters (shared/messaging/lag.py): one relay, so each series comes once."""

    http_port: int = 8005
    lag_seconds: float = 15.0  # how often lag is measured; 0: not at all
    # consumer group -> the topic it reads; none: jemput's four groups on their topics.
    lag_groups: dict[str, str] | None = None
    intake_topic: str = "jemput.intake.v1"
    dead_letter_topics: list[str] = DEAD_LETTER_TOPICS

    def watched_groups(self) -> dict[str, str]:
        if self.lag_groups is not None:
            return self.lag_groups
        events = self.events_topic
        return {
            self.group("intake"): self.intake_topic,
            self.group("verification"): events,
            self.group("notification"): events,
            self.group("dashboard"): events,
        }
