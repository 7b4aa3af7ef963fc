"""Every MongoDB collection jemput keeps, by name, in one place, with who writes and who
reads it (`OWNERS`; the same table is in docs/architecture.md, and
tests/unit/test_collection_owners.py holds the code and the document to it).

The event log is the truth; every other collection is rebuildable from it except the
access log, which records reads, not events, and the data keys, which the log needs.
Services talk to each other only over Kafka; what they share in the database is the log
and the few collections below that say why."""

from __future__ import annotations

from typing import NamedTuple

EVENTS = "events"  # the append-only, hash-chained log (and its outbox: see eventstore/mongo.py)
TRACKING_CODES = "tracking_codes"  # tracking code -> (stream id, request id)
REVIEW_QUEUE = "review_queue"  # requests waiting for a verifier
AUDIT_ACCESS = "audit_access"  # who read whose history, for which case
# Applicants' data keys, wrapped by the KEK: apart from the log, so that destroying one
# erases a class of personal data while the log stays insert-only (docs/adr/0009-personal-data.md).
DATA_KEYS = "data_keys"
# Officers' devices and the digests of their keys (intake; services/intake/devices.py).
# Not rebuildable from the log: enrolments are configuration, not events.
DEVICES = "devices"
DASHBOARD_REQUESTS = "dashboard_requests"  # one row a request, without personal data
DASHBOARD_STREAMS = "dashboard_streams"  # stream id -> the version the rows have applied
RATE_LIMITS = "rate_limits"  # slots of the public lookups' fixed windows (shared/web/rate_limit.py)

SERVICES = ("intake", "verification", "notification", "audit", "dashboard", "relay")


class Ownership(NamedTuple):
    writers: frozenset[str]  # the services that write it (one, unless `why` says otherwise)
    readers: frozenset[str]  # the other services that read it
    why: str  # why more than one service touches it


def _parts(*names: str) -> frozenset[str]:
    return frozenset(names)


OWNERS: dict[str, Ownership] = {
    EVENTS: Ownership(
        _parts("intake", "verification", "notification", "audit", "relay"),
        _parts(*SERVICES),
        "the log: every decision is made from it (ADR 3, ADR 4); writers append through "
        "shared/eventstore; the relay publishes what they left in its outbox and completes the "
        "appends of writers that died",
    ),
    DATA_KEYS: Ownership(
        _parts("intake", "audit"),
        _parts("verification", "notification"),
        "personal fields in the log are sealed under them: intake creates an applicant's "
        "keys, audit destroys (erasure) and re-wraps them (ADR 9); whoever opens a field reads",
    ),
    TRACKING_CODES: Ownership(
        _parts("intake"),
        _parts("audit"),
        "insert-only, a code never changes its request: audit finds an applicant by code "
        "in intake's index rather than keeping a copy of it",
    ),
    REVIEW_QUEUE: Ownership(
        _parts("verification"),
        _parts("audit"),
        "audit only compares it with the log (`jemput-audit rebuild`), read-only",
    ),
    AUDIT_ACCESS: Ownership(
        _parts("audit", "verification"),
        _parts(),
        "one insert-only record of who read whose data: a verifier's read of a whole case "
        "is recorded like an auditor's, and auditors read it whole",
    ),
    DASHBOARD_REQUESTS: Ownership(_parts("dashboard"), _parts(), ""),
    DASHBOARD_STREAMS: Ownership(_parts("dashboard"), _parts(), ""),
    RATE_LIMITS: Ownership(_parts("intake"), _parts(), ""),
    DEVICES: Ownership(_parts("intake"), _parts(), ""),
}
