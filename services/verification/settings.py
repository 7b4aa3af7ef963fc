from shared.settings import ServiceSettings


class VerificationSettings(ServiceSettings):
    http_port: int = 8002
    rule_set_id: str = "jaksel-2027.01"
    dead_letter_topic: str = "jemput.verification.dlq.v1"
    # A claim keeps a case one verifier's for this long; then another may take it over
    # (the first may have gone home with the case open).
    review_claim_minutes: float = 15
