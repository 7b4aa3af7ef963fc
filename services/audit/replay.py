"""An applicant's history read back: lines for people, states at any moment, differences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.domain.applicant import RequestState
from shared.domain.events import (
    Decision,
    DocumentsSupplied,
    ManualReviewDecided,
    NotificationAttempted,
    NotificationDelivered,
    NotificationFailed,
    PersonalDataErased,
    RequestEvent,
    RequestSubmitted,
    RequestWithdrawn,
    registry,
)
from shared.event_schema import DomainEvent, RecordedEvent
from shared.repositories.histories import history_of


class HistoryLine(BaseModel):
    version: int
    recorded_at: datetime
    occurred_at: datetime
    event_type: str
    request_id: str | None
    actor: str
    summary: str
    event_id: str


def actor(event: DomainEvent) -> str:
    match event:
        case RequestSubmitted(submitted_by=who) | DocumentsSupplied(supplied_by=who):
            return who
        case ManualReviewDecided(verifier=who) | RequestWithdrawn(withdrawn_by=who):
            return who
        case Decision(rule_set_id=rules):
            return f"verification ({rules})"
        case NotificationAttempted() | NotificationDelivered() | NotificationFailed():
            return "notification"
        case PersonalDataErased(erased_by=who):
            return who
    return "system"


def summary(event: DomainEvent) -> str:
    match event:
        case RequestSubmitted(form=form, tracking_code=code, channel=channel):
            point = form.outreach_point
            return (
                f"{form.kind} submitted via {channel} at {point.name} ({point.kind}); code {code}"
            )
        case Decision(outcomes=outcomes):
            failed = [
                f"{o.rule}: {o.effect} ({o.reason})" for o in outcomes if o.effect != "passed"
            ]
            return f"{event.event_type}; " + ("; ".join(failed) if failed else "every rule passed")
        case ManualReviewDecided(outcome=outcome, documents=documents, reason=reason):
            asked = f" ({', '.join(documents)})" if documents else ""
            return f"{outcome.value}{asked} by review: {reason}"
        case DocumentsSupplied(documents=documents):
            return "documents supplied: " + ", ".join(sorted(documents))
        case RequestWithdrawn(reason=reason):
            return f"withdrawn: {reason}"
        case NotificationAttempted(channel=channel, attempt=attempt, template=template):
            return f"{channel} attempt {attempt} ({template})"
        case NotificationDelivered(attempt=attempt):
            return f"delivered on attempt {attempt}"
        case NotificationFailed(error=error, final=final):
            return f"failed: {error}{' (final)' if final else ''}"
        case PersonalDataErased(classes=classes, key_refs=refs, case_reference=case):
            erased = ", ".join(classes)
            return f"{erased} data erased ({len(refs)} keys) for {case}: {event.reason}"
    return event.event_type


def lines(records: list[RecordedEvent], request_id: str | None = None) -> list[HistoryLine]:
    out = []
    for record in records:
        event = registry.load(record)
        rid = event.request_id if isinstance(event, RequestEvent) else None
        if request_id is not None and rid != request_id:
            continue
        out.append(
            HistoryLine(
                version=record.version,
                recorded_at=record.recorded_at,
                occurred_at=record.occurred_at,
                event_type=record.event_type,
                request_id=rid,
                actor=actor(event),
                summary=summary(event),
                event_id=record.event_id,
            )
        )
    return out


class RequestView(BaseModel):
    request_id: str
    tracking_code: str
    kind: str
    status: str
    documents: list[str]
    reasons: list[str]
    notifications_delivered: int


def view(request: RequestState) -> RequestView:
    return RequestView(
        request_id=request.request_id,
        tracking_code=request.tracking_code,
        kind=request.kind.value,
        status=request.status.value,
        documents=sorted(request.documents),
        reasons=list(request.reasons),
        notifications_delivered=sum(n.delivered for n in request.notifications.values()),
    )


def state(records: list[RecordedEvent]) -> dict[str, RequestView]:
    history = history_of(records)
    return {rid: view(r) for rid, r in history.requests.items()}


class Change(BaseModel):
    request_id: str
    field: str
    before: Any
    after: Any


def diff(before: dict[str, RequestView], after: dict[str, RequestView]) -> list[Change]:
    changes = []
    for rid in sorted(before.keys() | after.keys()):
        old = before[rid].model_dump() if rid in before else {}
        new = after[rid].model_dump() if rid in after else {}
        for field in sorted(old.keys() | new.keys()):
            if old.get(field) != new.get(field):
                changes.append(
                    Change(request_id=rid, field=field, before=old.get(field), after=new.get(field))
                )
    return changes
