"""The metrics people alert on, beside the ones each part keeps for itself: how long a
request takes from submission to its first decision and to the applicant being told of
it, what notification could not deliver, and what the last whole-store verify found.

Latencies run from when jemput stored the submission (its `recorded_at`), not from the
device's `occurred_at`: a request sent hours late by an offline tablet says nothing about
the pipeline. Only the first decision on a submission, and the notification of that
decision, are measured (a decision after documents were supplied days later is the
applicant's pace, not ours). Labels are event types and channel names, never data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from shared.event_schema import RecordedEvent
from shared.eventstore.chain import BreakKind, VerificationReport

# From a second (the pipeline's p50 under load) to an hour (a pipeline that stopped).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)
SUBMITTED = "RequestSubmitted"

SUBMIT_TO_DECIDED = Histogram(
    "jemput_submit_to_decided_seconds",
    "From a submission stored to its first decision stored, by decision",
    ["decision"],
    buckets=LATENCY_BUCKETS,
)
SUBMIT_TO_NOTIFIED = Histogram(
    "jemput_submit_to_notified_seconds",
    "From a submission stored to the applicant told of its first decision, by channel",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)
NOTIFICATIONS_FAILED = Counter(
    "jemput_notifications_failed_total",
    "Sends a channel refused or could not take; final: the last attempt (dead-lettered)",
    ["channel", "final"],
)
CHAIN_BREAKS = Gauge(
    "jemput_chain_breaks",
    "Streams whose chain the last whole-store verify found broken, by what was wrong",
    ["kind"],
)
CHAIN_VERIFIED = Gauge(
    "jemput_chain_verified_timestamp_seconds", "When the last whole-store verify finished"
)
BREAK_KINDS: tuple[str, ...] = get_args(BreakKind)


def _seconds_since(moment: datetime, now: datetime | None) -> float:
    return max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())


def decided(cause: RecordedEvent, written: Sequence[RecordedEvent]) -> None:
    """Verification recorded `written` because of `cause`: measured if `cause` is a
    submission (its first decision)."""
    if cause.event_type != SUBMITTED:
        return
    for record in written:
        SUBMIT_TO_DECIDED.labels(record.event_type).observe(
            _seconds_since(cause.recorded_at, record.recorded_at)
        )


def submission_behind(
    decision: RecordedEvent, stream: Sequence[RecordedEvent]
) -> RecordedEvent | None:
    """The submission `decision` was the first decision on, if it was one."""
    for record in stream:
        if record.event_id == decision.causation_id:
            return record if record.event_type == SUBMITTED else None
    return None


def notified(channel: str, submission: RecordedEvent, now: datetime | None = None) -> None:
    SUBMIT_TO_NOTIFIED.labels(channel).observe(_seconds_since(submission.recorded_at, now))


def notification_failed(channel: str, final: bool) -> None:
    NOTIFICATIONS_FAILED.labels(channel, str(final).lower()).inc()


def chain_verified(report: VerificationReport, now: datetime | None = None) -> None:
    """A whole-store verify finished: what it found is what the alert looks at."""
    for kind in BREAK_KINDS:
        CHAIN_BREAKS.labels(kind).set(sum(1 for b in report.breaks if b.kind == kind))
    CHAIN_VERIFIED.set((now or datetime.now(UTC)).timestamp())
