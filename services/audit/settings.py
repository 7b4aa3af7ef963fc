from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    http_port: int = 8004
    rule_set_id: str = "jaksel-2027.01"  # today's rules, to compare old decisions with
