"""An applicant's requests rebuilt from events, and the commands officers give."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.applicant import (
    ApplicantHistory,
    DomainError,
    Status,
    supply_documents,
    withdraw,
)
from shared.domain.events import (
    DocumentsRequested,
    ManualReviewRequired,
    NotificationAttempted,
    NotificationDelivered,
    RequestSubmitted,
    ReviewOutcome,
)
from shared.domain.requests import Document
from shared.domain.reviews import decide_manual_review
from shared.event_schema import DomainEvent
from tests.factories import request_form

AT = datetime(2026, 11, 29, tzinfo=UTC)


def history(*events: DomainEvent) -> ApplicantHistory:
    return ApplicantHistory.rebuild((e, f"e{n}", AT) for n, e in enumerate(events))


SUBMITTED = RequestSubmitted(
    request_id="r1",
    tracking_code="JMP-1",
    form=request_form("birth_certificate", documents=[]),
    submitted_by="officer-1",
    channel="http",
)
ASKED = DocumentsRequested(
    request_id="r1",
    rule_set_id="x",
    region_table="y",
    outcomes=(),
    documents=(Document.BIRTH_LETTER, Document.FAMILY_CARD),
)


def test_documents_asked_then_supplied_go_back_to_verification() -> None:
    h = history(SUBMITTED, ASKED)
    request = h.request("r1")
    assert (request.status, request.awaiting_decision) == (Status.DOCUMENTS_REQUESTED, False)
    supplied = supply_documents(h, "r1", frozenset({Document.BIRTH_LETTER}), "officer-2")
    h.apply(supplied, "e9", AT)
    assert (request.status, request.awaiting_decision) == (Status.SUBMITTED, True)
    assert request.documents == {Document.BIRTH_LETTER}
    assert h.version == 3
    assert h.by_tracking_code("JMP-1") is request


def test_documents_can_only_be_supplied_when_asked_for() -> None:
    with pytest.raises(DomainError) as error:
        supply_documents(history(SUBMITTED), "r1", frozenset({Document.BIRTH_LETTER}), "o")
    assert error.value.code == "no_documents_requested"
    with pytest.raises(DomainError, match="at least one"):
        supply_documents(history(SUBMITTED, ASKED), "r1", frozenset(), "o")


def test_withdrawing_closes_an_open_request_once() -> None:
    h = history(SUBMITTED)
    h.apply(withdraw(h, "r1", "officer-1", "applicant moved"), "e5", AT)
    assert h.request("r1").status is Status.WITHDRAWN
    with pytest.raises(DomainError) as error:
        withdraw(h, "r1", "officer-1", "again")
    assert error.value.code == "not_open"
    with pytest.raises(DomainError) as unknown:
        withdraw(h, "nope", "officer-1", "x")
    assert unknown.value.code == "unknown_request"


def test_manual_review_is_decided_by_a_verifier() -> None:
    review = ManualReviewRequired(
        request_id="r1", rule_set_id="x", region_table="y", outcomes=(), reasons=("late",)
    )
    h = history(SUBMITTED, review)
    h.apply(
        decide_manual_review(h, "r1", "verifier-1", ReviewOutcome.REJECTED, "no birth letter"),
        "e7",
        AT,
    )
    assert h.request("r1").status is Status.REJECTED
    with pytest.raises(DomainError):
        decide_manual_review(h, "r1", "verifier-1", ReviewOutcome.APPROVED, "changed my mind")


def test_notifications_remember_an_attempt_without_outcome() -> None:
    attempted = NotificationAttempted(
        request_id="r1", notification_id="n1", channel="email", template="t", attempt=1
    )
    h = history(SUBMITTED, attempted)
    assert h.request("r1").notifications["n1"].open_attempt
    h.apply(NotificationDelivered(request_id="r1", notification_id="n1", attempt=1), "e8", AT)
    note = h.request("r1").notifications["n1"]
    assert (note.open_attempt, note.delivered) == (False, True)
