"""What the latency histograms and the verify gauges measure
(shared/observability/pipeline_metrics.py): from the submission as stored, only to its
first decision and that decision's notification; a whole-store verify's breaks by kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from shared.event_schema import RecordedEvent
from shared.eventstore.chain import ChainBreak, VerificationReport
from shared.observability import pipeline_metrics

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def record(event_type: str, event_id: str, at: datetime, cause: str | None = None) -> RecordedEvent:
    return RecordedEvent(
        event_id=event_id,
        event_type=event_type,
        schema_version=1,
        payload={},
        # A device offline for hours: the latency must not count its hours.
        occurred_at=T0 - timedelta(hours=5),
        causation_id=cause,
        stream_id="s",
        version=1,
        position=1,
        recorded_at=at,
        key_id="k",
        prev_hash="",
        hash="",
    )


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


SUBMITTED = record("RequestSubmitted", "e1", T0)
DECIDED = record("RequestVerified", "e2", T0 + timedelta(seconds=1.5), cause="e1")
SUPPLIED = record("DocumentsSupplied", "e3", T0 + timedelta(days=2))
DECIDED_AGAIN = record("RequestVerified", "e4", T0 + timedelta(days=2, seconds=1), cause="e3")


def test_a_first_decision_is_measured_from_the_submission_as_stored() -> None:
    before = count("jemput_submit_to_decided_seconds_sum", decision="RequestVerified")
    pipeline_metrics.decided(SUBMITTED, [DECIDED])
    after = count("jemput_submit_to_decided_seconds_sum", decision="RequestVerified")
    assert after - before == pytest.approx(1.5)  # the sum is shared with other tests


def test_a_decision_after_documents_is_not_measured() -> None:
    before = count("jemput_submit_to_decided_seconds_count", decision="RequestVerified")
    pipeline_metrics.decided(SUPPLIED, [DECIDED_AGAIN])
    assert count("jemput_submit_to_decided_seconds_count", decision="RequestVerified") == before


def test_the_notification_of_a_first_decision_counts_from_the_submission() -> None:
    stream = [SUBMITTED, DECIDED, SUPPLIED, DECIDED_AGAIN]
    assert pipeline_metrics.submission_behind(DECIDED, stream) is SUBMITTED
    assert pipeline_metrics.submission_behind(DECIDED_AGAIN, stream) is None
    before = count("jemput_submit_to_notified_seconds_sum", channel="t-email")
    pipeline_metrics.notified("t-email", SUBMITTED, now=T0 + timedelta(seconds=4))
    assert count(
        "jemput_submit_to_notified_seconds_sum", channel="t-email"
    ) - before == pytest.approx(4)


def test_a_whole_store_verify_sets_breaks_by_kind_and_when() -> None:
    broken = VerificationReport(
        streams_checked=3,
        events_checked=9,
        breaks=[ChainBreak("a", 2, "edited", ""), ChainBreak("b", 1, "edited", "")],
    )
    pipeline_metrics.chain_verified(broken, now=T0)
    assert count("jemput_chain_breaks", kind="edited") == 2
    assert count("jemput_chain_breaks", kind="missing") == 0
    assert count("jemput_chain_verified_timestamp_seconds") == T0.timestamp()
    pipeline_metrics.chain_verified(VerificationReport(streams_checked=3, events_checked=9))
    assert count("jemput_chain_breaks", kind="edited") == 0  # repaired: the alert clears
