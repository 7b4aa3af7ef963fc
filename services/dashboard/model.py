"""The dashboard's read model: one row a request, fed by the events that change it.

Only what is not personal is read from an event: the request's kind, its outreach point
(kind, name, kelurahan, kecamatan code), its status, the decision's reason codes, times
and the tracking code; never the applicant's part of the form. Each row remembers the
ids of the events it took, so a redelivered event changes nothing (and a rebuild from the
log, event by event, gives the same rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from shared.domain.applicant import STATUS_EVENTS, Status, status_after
from shared.domain.events import (
    Decision,
    ManualReviewDecided,
    ManualReviewRequired,
    NotificationDelivered,
    NotificationFailed,
    RequestEvent,
    RequestSubmitted,
    registry,
)
from shared.domain.requests import OutreachPoint, RequestKind
from shared.event_schema import RecordedEvent
from shared.privacy.personal_data import MARKER, is_sealed

# What changes a row: every status change, and what notification made of it.
FED_BY: tuple[type[RequestEvent], ...] = (
    *STATUS_EVENTS,
    NotificationDelivered,
    NotificationFailed,
)


class RequestRow(BaseModel):
    request_id: str
    tracking_code: str
    kind: str
    point_kind: str
    point_name: str
    kelurahan: str
    kecamatan: str
    status: Status = Status.SUBMITTED
    submitted_at: datetime
    decided_at: datetime | None = None  # the first decision (the rules', or an officer's)
    notified_at: datetime | None = None  # the first message delivered
    review_since: datetime | None = None  # waiting for an officer since
    reasons: list[str] = []
    failed_notifications: int = 0  # messages that failed for good
    seen: list[str] = []  # ids of the events taken (sorted: the same whatever the order)


class Rows(Protocol):
    async def get(self, request_id: str) -> RequestRow | None: ...

    async def put(self, row: RequestRow) -> None: ...

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]: ...


class SubmittedInClear(BaseModel):
    """What a stored RequestSubmitted says in clear, whatever its schema version: its
    personal fields are sealed and the dashboard holds no keys, so it reads only these."""

    model_config = ConfigDict(extra="ignore")

    class Form(BaseModel):
        model_config = ConfigDict(extra="ignore")

        class Details(BaseModel):
            model_config = ConfigDict(extra="ignore")
            kind: RequestKind

        details: Details
        outreach_point: OutreachPoint  # the form's place, not its person

    request_id: str
    tracking_code: str
    form: Form


def submitted(record: RecordedEvent) -> RequestRow:
    facts = SubmittedInClear.model_validate(record.payload)
    point = facts.form.outreach_point
    return RequestRow(
        request_id=facts.request_id,
        tracking_code=facts.tracking_code,
        kind=facts.form.details.kind.value,
        point_kind=str(point.kind),
        point_name=point.name,
        kelurahan=point.kelurahan,
        kecamatan=point.kecamatan_code,
        submitted_at=record.occurred_at,
        seen=[record.event_id],
    )


def changed(row: RequestRow, event: RequestEvent, record: RecordedEvent) -> RequestRow:
    """The row after one more of its request's events."""
    at = record.occurred_at
    update: dict[str, object] = {"seen": sorted([*row.seen, record.event_id])}
    status = status_after(event)
    if status is not None:
        update["status"] = status
        update["review_since"] = at if isinstance(event, ManualReviewRequired) else None
    if isinstance(event, Decision | ManualReviewDecided) and row.decided_at is None:
        update["decided_at"] = at
    if isinstance(event, Decision):
        update["reasons"] = list(getattr(event, "reasons", ()))
    elif isinstance(event, ManualReviewDecided):
        update["reasons"] = [] if event.approved else ["manual_review_rejected"]
    elif isinstance(event, NotificationDelivered) and row.notified_at is None:
        update["notified_at"] = at
    elif isinstance(event, NotificationFailed) and event.final:
        update["failed_notifications"] = row.failed_notifications + 1
    return row.model_copy(update=update)


FED_BY_TYPE = {cls.event_type: cls for cls in FED_BY}
WITHHELD = "(sealed)"


def _sealed_text_withheld(record: RecordedEvent) -> RecordedEvent:
    """The record with each sealed field (a free-text reason) as a placeholder: the
    dashboard holds no keys and reads no text, only what is in clear."""
    payload = {k: WITHHELD if is_sealed(v) else v for k, v in record.payload.items()}
    payload.pop(MARKER, None)
    return record.model_copy(update={"payload": payload})


def _loads(record: RecordedEvent) -> object:
    return registry.load(_sealed_text_withheld(record))


# What the consumer must be able to parse before a row takes the event (else: dead letter).
READS: dict[type[RequestEvent], Callable[[RecordedEvent], object]] = {
    cls: _loads for cls in FED_BY
} | {RequestSubmitted: lambda record: SubmittedInClear.model_validate(record.payload)}


async def take(rows: Rows, record: RecordedEvent) -> bool:
    """Apply one stored event to its request's row; False if it was taken before (or
    names a request this model never saw submitted). RequestSubmitted is read in its
    clear parts; the others are loaded with their sealed free text withheld."""
    if record.event_type not in FED_BY_TYPE:
        return False
    if record.event_type == RequestSubmitted.event_type:
        row = submitted(record)
        if await rows.get(row.request_id) is not None:
            return False
        await rows.put(row)
        return True
    event = registry.load(_sealed_text_withheld(record))
    if not isinstance(event, RequestEvent):  # every FED_BY class is one: for the types
        return False
    row_now = await rows.get(event.request_id)
    if row_now is None or record.event_id in row_now.seen:
        return False
    await rows.put(changed(row_now, event, record))
    return True


class InMemoryRows:
    """Rows in a dict: the rebuild's scratch space, and the unit tier's model."""

    def __init__(self) -> None:
        self.rows: dict[str, RequestRow] = {}

    async def get(self, request_id: str) -> RequestRow | None:
        return self.rows.get(request_id)

    async def put(self, row: RequestRow) -> None:
        self.rows[row.request_id] = row

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]:
        return [r for r in self.rows.values() if start <= r.submitted_at < end]
