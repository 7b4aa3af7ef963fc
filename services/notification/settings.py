from shared.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "Dukcapil Jakarta Selatan <noreply@dukcapil.example.go.id>"
    sms_gateway_url: str | None = None  # none: SMS is off
    max_attempts: int = 4  # refusals; a channel that is down is waited for, not counted
    channel_wait_seconds: float = 120.0  # then the events come again (well within poll limits)
    backoff_seconds: float = 0.5  # doubles after each failed attempt
    dead_letter_topic: str = "jemput.notification.dlq.v1"
    # Messages sent at once. A crash leaves at most this many with an unknown outcome
    # (never resent: an applicant never gets an alert twice).
    max_in_flight: int = 32
