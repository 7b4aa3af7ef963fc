from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = 8001
    intake_topic: str = "jemput.intake.v1"
    intake_dead_letter_topic: str = "jemput.intake.dlq.v1"
    max_batch_items: int = 500
    # The rules the officers' app checks forms with (/v1/app-data): verification's own.
    rule_set_id: str = "jaksel-2027.01"
    # Its operations are single-applicant reads and appends: 5 s is ample, even under load.
    mongo_timeout_ms: int | None = 5_000
    # Beyond this many requests at once, intake sheds load (503 + Retry-After). Measured:
    # ~70 requests/s sustained per process on 2 cores, p99 under 1 s; 64 in flight is
    # about one second's work, so an accepted request never waits much longer than that.
    max_in_flight_requests: int = 64
    # The public status API and page (/v1/status, /cek/): lookups per client per minute,
    # counted in the shared store so that every intake instance agrees (ADR 0010). An
    # applicant checks a code a few times; an office's hotspot puts a few dozen phones
    # behind one address; a guesser wants thousands.
    status_limit_per_minute: int = 30
    # Proxies whose X-Forwarded-For names the client (e.g. ["10.0.0.5"]); any other peer
    # is the client itself, whatever headers it sends.
    trusted_proxies: frozenset[str] = frozenset()
