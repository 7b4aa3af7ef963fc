from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = 8001
    intake_topic: str = "jemput.intake.v1"
    intake_dead_letter_topic: str = "jemput.intake.dlq.v1"
    max_batch_items: int = 500
