from shared.settings import ServiceSettings


class VerificationSettings(ServiceSettings):
    http_port: int = 8002
    rule_set_id: str = "jaksel-2027.01"
    dead_letter_topic: str = "jemput.verification.dlq.v1"
