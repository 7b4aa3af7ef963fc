"""The dashboard's read model: one row a request, fed by the events that change it.

Only what is not personal is read from an event: the request's kind, its outreach point
(kind, name, kelurahan, kecamatan code), its status, the decision's reason codes, times
and the tracking code; never the applicant's part of the form.

Events are applied in each stream's version order, whatever order they arrive in: two
writers publish their own appends, and the relay republishes a dead writer's event
seconds later, so a decision can arrive after the withdrawal stored after it, or before
its request's submission. The model remembers each stream's version applied; an event
that comes early (a gap before it) is applied after the versions it missed, read from the
store (the log holds them: an event is published only once stored, after its
predecessor); one that comes late (at or below that version) was applied before. Each
row also remembers the ids of the events it took, so a crash between a row's update and
its stream's version changes nothing on redelivery. A rebuild from the log (`read_all`:
each stream in version order) goes through the same code and gives the same rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from shared.domain.applicant import STATUS_EVENTS, Status, reasons_after, status_after
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
from shared.event_schema import DomainEvent, RecordedEvent
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
    rule_set_id: str | None = None  # of the latest decision: its sentences name the reasons
    failed_notifications: int = 0  # messages that failed for good
    seen: list[str] = []  # ids of the events taken (sorted: the same whatever the order)


class Rows(Protocol):
    async def get(self, request_id: str) -> RequestRow | None: ...

    async def add(self, row: RequestRow) -> bool:
        """Store a new row; False (and nothing changed) if its request has one."""
        ...

    async def put(self, row: RequestRow) -> None: ...

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]: ...

    async def applied(self, stream_id: str) -> int:
        """The stream's version applied so far (0: none)."""
        ...

    async def mark_applied(self, stream_id: str, version: int) -> None:
        """May be written behind: a version read back is never ahead of the rows, and may
        lag them (the versions between are applied again, changing nothing)."""
        ...

    async def flush(self) -> None:
        """Write what is written behind (on the way out)."""
        ...


class StreamHistory(Protocol):
    """Where the versions an event skipped are read (the event store)."""

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]: ...


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
    reasons = reasons_after(event)
    if reasons is not None:
        update["reasons"] = list(reasons)
    if isinstance(event, Decision):
        update["rule_set_id"] = event.rule_set_id
    if isinstance(event, NotificationDelivered) and row.notified_at is None:
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


def _nothing(record: RecordedEvent) -> None:
    """What the rows read of an event they do not show: nothing (its version counts)."""


# Every stored event type, with what the consumer must be able to parse before the rows
# take the event (else: dead letter). Types the rows do not show still move the stream's
# version on, so the consumer takes them too (else each would look like a gap).
READS: dict[type[DomainEvent], Callable[[RecordedEvent], object]] = (
    {cls: _nothing for cls in registry.models()}
    | {cls: _loads for cls in FED_BY}
    | {RequestSubmitted: lambda record: SubmittedInClear.model_validate(record.payload)}
)


async def take(rows: Rows, record: RecordedEvent, history: StreamHistory) -> bool:
    """Apply one stored event of any type, in its stream's version order: first the
    versions it skipped (read from `history`), then itself; nothing if its version was
    applied before. True if a row changed."""
    applied = await rows.applied(record.stream_id)
    if record.version <= applied:
        return False
    todo = [record]
    if record.version > applied + 1:
        skipped = await history.read_stream(record.stream_id, applied + 1)
        todo = [r for r in skipped if r.version < record.version] + todo
        if [r.version for r in todo] != list(range(applied + 1, record.version + 1)):
            raise LookupError(f"versions before {record.version} missing from the log")
    changed = False
    for each in todo:
        changed = await _apply(rows, each) or changed
    await rows.mark_applied(record.stream_id, record.version)
    return changed


async def _apply(rows: Rows, record: RecordedEvent) -> bool:
    """One event to its request's row; False if it changes no row (not a type the rows
    show, or taken before). RequestSubmitted is read in its clear parts; the others are
    loaded with their sealed free text withheld."""
    if record.event_type not in FED_BY_TYPE:
        return False
    if record.event_type == RequestSubmitted.event_type:
        return await rows.add(submitted(record))
    event = registry.load(_sealed_text_withheld(record))
    if not isinstance(event, RequestEvent):  # every FED_BY class is one: for the types
        return False
    row_now = await rows.get(event.request_id)
    if row_now is None or record.event_id in row_now.seen:
        return False  # None: submitted in another stream? never, in a log that verifies
    await rows.put(changed(row_now, event, record))
    return True


class InMemoryRows:
    """Rows in a dict: the rebuild's scratch space, and the unit tier's model."""

    def __init__(self) -> None:
        self.rows: dict[str, RequestRow] = {}
        self.versions: dict[str, int] = {}  # stream id -> version applied

    async def get(self, request_id: str) -> RequestRow | None:
        return self.rows.get(request_id)

    async def add(self, row: RequestRow) -> bool:
        if row.request_id in self.rows:
            return False
        self.rows[row.request_id] = row
        return True

    async def put(self, row: RequestRow) -> None:
        self.rows[row.request_id] = row

    async def submitted_between(self, start: datetime, end: datetime) -> list[RequestRow]:
        return [r for r in self.rows.values() if start <= r.submitted_at < end]

    async def applied(self, stream_id: str) -> int:
        return self.versions.get(stream_id, 0)

    async def mark_applied(self, stream_id: str, version: int) -> None:
        self.versions[stream_id] = version

    async def flush(self) -> None:
        """Nothing is written behind."""
