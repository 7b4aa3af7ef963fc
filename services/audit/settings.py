from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    http_port: int = 8004
    rule_set_id: str = "jaksel-2027.01"  # today's rules, to compare old decisions with
    # How often the audit service applies the retention policy (0: never; the
    # `jemput-audit retention-sweep` command does the same once).
    retention_sweep_seconds: float = 3600.0
