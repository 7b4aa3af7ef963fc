"""A verifier asks for documents: the request waits for them, goes through the rules again
once they are supplied, and may come back for a second review round, decided once more.
ManualReviewDecided v2 (an outcome, a round); v1 (approved or not) is read as v2."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.domain.applicant import (
    ApplicantHistory,
    DomainError,
    Status,
    reasons_after,
    status_after,
    supply_documents,
)
from shared.domain.events import (
    ManualReviewDecided,
    ManualReviewRequired,
    RequestSubmitted,
    ReviewOutcome,
    registry,
)
from shared.domain.requests import Document
from shared.domain.reviews import decide_manual_review
from shared.event_schema import DomainEvent, RecordedEvent
from shared.eventstore.memory import InMemoryRecorder
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import MARKER
from shared.repositories.histories import ToRecord
from shared.rulesets import load_rule_set
from tests.factories import request_form
from tests.unit.test_erasure_keys import process

AT = datetime(2026, 12, 1, tzinfo=UTC)
KNOWN = load_rule_set("jaksel-2027.01").documents()
ASK = ReviewOutcome.DOCUMENTS_REQUESTED
SUBMITTED = RequestSubmitted(
    request_id="r1",
    tracking_code="JB-1",
    form=request_form("birth_certificate", documents=[]),
    submitted_by="officer-1",
    channel="http",
)


def to_review(reason: str = "late_registration") -> ManualReviewRequired:
    return ManualReviewRequired(
        request_id="r1",
        rule_set_id="jaksel-2027.01",
        region_table="t",
        outcomes=(),
        reasons=(reason,),
    )


def history(*events: tuple[DomainEvent, str]) -> ApplicantHistory:
    return ApplicantHistory.rebuild((event, event_id, AT) for event, event_id in events)


def test_the_rule_sets_documents_are_what_a_verifier_may_ask_for() -> None:
    assert frozenset(Document) == KNOWN  # jaksel-2027.01 names all five


def test_asking_for_documents_waits_for_them_then_the_rules_run_again() -> None:
    h = history((SUBMITTED, "e-submit"), (to_review(), "e-round-1"))
    assert h.request("r1").review_round == "e-round-1"
    asked = decide_manual_review(
        h, "r1", "verifier-1", ASK, "KK tidak terbaca", [Document.FAMILY_CARD], KNOWN
    )
    assert (asked.outcome, asked.documents, asked.round_id) == (
        ASK,
        (Document.FAMILY_CARD,),
        "e-round-1",
    )
    assert (status_after(asked), reasons_after(asked)) == (
        Status.DOCUMENTS_REQUESTED,
        ("manual_review_documents",),
    )
    h.apply(asked, "e-asked", AT)
    request = h.request("r1")
    assert (request.status, request.missing_documents) == (
        Status.DOCUMENTS_REQUESTED,
        (Document.FAMILY_CARD,),
    )
    assert not request.awaiting_decision
    h.apply(supply_documents(h, "r1", frozenset({Document.FAMILY_CARD}), "officer-2"), "e-s", AT)
    assert (request.status, request.awaiting_decision) == (Status.SUBMITTED, True)


def test_a_request_back_in_review_is_decided_again_in_its_new_round() -> None:
    h = history((SUBMITTED, "e-submit"), (to_review(), "e-round-1"))
    first = decide_manual_review(h, "r1", "v1", ASK, "KK?", [Document.FAMILY_CARD], KNOWN)
    h.apply(first, "e-asked", AT)
    with pytest.raises(DomainError) as twice:  # round 1 is decided: nothing more in it
        decide_manual_review(h, "r1", "v2", ReviewOutcome.APPROVED, "ok")
    assert twice.value.code == "not_in_review"
    h.apply(supply_documents(h, "r1", frozenset({Document.FAMILY_CARD}), "o"), "e-s", AT)
    h.apply(to_review("nik_birth_or_sex_mismatch"), "e-round-2", AT)
    second = decide_manual_review(h, "r1", "v2", ReviewOutcome.APPROVED, "KK cocok")
    assert (second.round_id, second.documents) == ("e-round-2", ())
    h.apply(second, "e-approved", AT)
    assert h.request("r1").status is Status.VERIFIED


@pytest.mark.parametrize(
    ("outcome", "documents", "known", "code"),
    [
        (ASK, [], KNOWN, "no_documents"),
        (ASK, [Document.MARRIAGE_RECORD], frozenset({Document.FAMILY_CARD}), "unknown_documents"),
        (ReviewOutcome.REJECTED, [Document.FAMILY_CARD], KNOWN, "documents_not_asked"),
    ],
)
def test_documents_are_named_from_the_rule_set_and_only_when_asked_for(
    outcome: ReviewOutcome, documents: list[Document], known: frozenset[Document], code: str
) -> None:
    h = history((SUBMITTED, "e-submit"), (to_review(), "e-round-1"))
    with pytest.raises(DomainError) as refused:
        decide_manual_review(h, "r1", "v1", outcome, "why", documents, known)
    assert refused.value.code == code
    assert h.request("r1").status is Status.MANUAL_REVIEW


def test_the_event_refuses_documents_without_asking_and_asking_without_documents() -> None:
    with pytest.raises(ValidationError):
        ManualReviewDecided(request_id="r1", verifier="v", outcome=ASK, reason="x")
    with pytest.raises(ValidationError):
        ManualReviewDecided(
            request_id="r1",
            verifier="v",
            outcome=ReviewOutcome.APPROVED,
            documents=(Document.FAMILY_CARD,),
            reason="x",
        )


def stored_v1(approved: bool) -> RecordedEvent:
    payload = {"request_id": "r1", "verifier": "v-old", "approved": approved, "reason": "lama"}
    return RecordedEvent(
        event_id="e-v1",
        event_type="ManualReviewDecided",
        schema_version=1,
        occurred_at=AT,
        payload=payload,
        stream_id="s-1",
        version=3,
        position=3,
        recorded_at=AT,
        key_id="test",
        prev_hash="",
        hash="h",
    )


@pytest.mark.parametrize(
    ("approved", "outcome", "status"),
    [
        (True, ReviewOutcome.APPROVED, Status.VERIFIED),
        (False, ReviewOutcome.REJECTED, Status.REJECTED),
    ],
)
def test_a_v1_decision_is_read_as_v2_without_a_round(
    approved: bool, outcome: ReviewOutcome, status: Status
) -> None:
    record = stored_v1(approved)
    event = registry.load(record)
    assert isinstance(event, ManualReviewDecided)
    assert (event.outcome, event.documents, event.round_id, event.approved) == (
        outcome,
        (),
        None,
        approved,
    )
    assert record.payload["approved"] is approved  # the stored event is never rewritten
    h = history((SUBMITTED, "e-submit"), (to_review(), "e-round-1"), (event, "e-v1"))
    assert h.request("r1").status is status


async def test_a_v2_decisions_reason_is_sealed_and_its_outcome_is_in_clear() -> None:
    keys, recorder = InMemoryDataKeys(), InMemoryRecorder()
    verification = process(keys, recorder)
    stream = verification.stream_of("3174011503900001")
    reason = "KK atas nama Siti Aminah tidak terbaca"

    def decide(h: ApplicantHistory) -> list[ToRecord]:
        made = decide_manual_review(h, "r1", "v1", ASK, reason, [Document.FAMILY_CARD], KNOWN)
        return [ToRecord(made, "e-decided")]

    await verification.record(
        stream, lambda _: [ToRecord(SUBMITTED, "e-submit"), ToRecord(to_review(), "e-round-1")]
    )
    await verification.record(stream, decide)
    [stored] = [r for r in await verification.read(stream) if r.event_id == "e-decided"]
    assert reason not in json.dumps(stored.payload)
    assert stored.payload[MARKER] == {"policy": "jaksel-2027.02"}
    assert stored.schema_version == 2
    assert (stored.payload["outcome"], stored.payload["documents"]) == (
        "documents_requested",
        ["family_card"],
    )
    assert stored.payload["round_id"] == "e-round-1"
    [opened] = await process(keys, recorder).personal.opened([stored])
    event = registry.load(opened)
    assert isinstance(event, ManualReviewDecided)
    assert event.reason == reason
