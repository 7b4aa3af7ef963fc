"""One mapping from events to a request's status, used by the history, the status page
and notification; and the submit command, which lives with the other commands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.applicant import (
    STATUS_EVENTS,
    TOLD,
    ApplicantHistory,
    DomainError,
    Status,
    status_after,
    submit,
)
from shared.domain.events import (
    Decision,
    DocumentsRequested,
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    NotificationDelivered,
    RequestEvent,
    RequestRejected,
    RequestSubmitted,
    RequestVerified,
    RequestWithdrawn,
    ReviewOutcome,
    registry,
)
from shared.domain.requests import Document
from tests.factories import request_form

DECIDED = {"rule_set_id": "jaksel-2026.12", "region_table": "t", "outcomes": ()}
EVENTS: list[tuple[RequestEvent, Status | None]] = [
    (
        DocumentsSupplied(
            request_id="r", documents=frozenset({Document.BIRTH_LETTER}), supplied_by="o"
        ),
        Status.SUBMITTED,
    ),
    (RequestVerified(request_id="r", **DECIDED), Status.VERIFIED),
    (RequestRejected(request_id="r", reasons=("x",), **DECIDED), Status.REJECTED),
    (
        DocumentsRequested(request_id="r", documents=(Document.FAMILY_CARD,), **DECIDED),
        Status.DOCUMENTS_REQUESTED,
    ),
    (ManualReviewRequired(request_id="r", reasons=("x",), **DECIDED), Status.MANUAL_REVIEW),
    (
        ManualReviewDecided(
            request_id="r", verifier="v", outcome=ReviewOutcome.APPROVED, reason="ok"
        ),
        Status.VERIFIED,
    ),
    (
        ManualReviewDecided(
            request_id="r", verifier="v", outcome=ReviewOutcome.REJECTED, reason="no"
        ),
        Status.REJECTED,
    ),
    (RequestWithdrawn(request_id="r", withdrawn_by="o", reason="moved"), Status.WITHDRAWN),
    (NotificationDelivered(request_id="r", notification_id="n", attempt=1), None),
]


@pytest.mark.parametrize(("event", "status"), EVENTS)
def test_each_event_leaves_the_status_the_domain_says(
    event: RequestEvent, status: Status | None
) -> None:
    assert status_after(event) is status


def test_the_status_events_are_exactly_those_with_a_status() -> None:
    changing = {type(e) for e, s in EVENTS if s is not None} | {RequestSubmitted}
    assert set(STATUS_EVENTS) == changing


def test_every_registered_decision_changes_the_status() -> None:
    """A new decision event without a status would never be told: this fails first."""
    decisions = [m for m in registry.models() if issubclass(m, Decision)]
    assert len(decisions) >= 4
    assert set(decisions) <= set(STATUS_EVENTS)


def test_applicants_are_told_everything_but_submitted() -> None:
    assert Status.SUBMITTED not in TOLD
    assert {Status.VERIFIED, Status.REJECTED, Status.MANUAL_REVIEW} <= TOLD


def test_submit_records_a_new_request_once_and_refuses_its_id_for_another_form() -> None:
    history = ApplicantHistory()
    form = request_form()
    event = submit(history, "r1", "JB-1", form, "officer-1", "http")
    assert event is not None
    history.apply(event, "e1", datetime(2026, 11, 29, tzinfo=UTC))
    assert history.requests["r1"].status is Status.SUBMITTED
    assert submit(history, "r1", "JB-1", form, "officer-1", "http") is None  # sent again
    with pytest.raises(DomainError) as refused:
        submit(history, "r1", "JB-1", request_form("skds"), "officer-1", "http")
    assert refused.value.code == "request_id_reused"
