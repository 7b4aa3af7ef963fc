"""Every MongoDB collection jemput keeps, by name, in one place.

The event log is the truth; every other collection is rebuildable from it
(`jemput-audit rebuild`) except the access log, which records reads, not events."""

from __future__ import annotations

EVENTS = "events"  # the append-only, hash-chained log (and its outbox: see eventstore/mongo.py)
TRACKING_CODES = "tracking_codes"  # tracking code -> (stream id, request id)
REVIEW_QUEUE = "review_queue"  # requests waiting for a verifier
AUDIT_ACCESS = "audit_access"  # who read whose history, for which case
PROJECTION_REQUEST_STATUS = "projection_request_status"  # rebuilt by the audit service
PROJECTION_STATS = "projection_stats"  # counts by kecamatan and outreach point
# Applicants' data keys, wrapped by the KEK: apart from the log, so that destroying one
# erases a class of personal data while the log stays insert-only (docs/adr/0009-personal-data.md).
DATA_KEYS = "data_keys"
# Officers' devices and the digests of their keys (intake; services/intake/devices.py).
# Not rebuildable from the log: enrolments are configuration, not events.
DEVICES = "devices"
DASHBOARD_REQUESTS = "dashboard_requests"  # one row a request, without personal data
