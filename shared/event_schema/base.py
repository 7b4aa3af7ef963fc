"""The shapes events take: a domain event, an event about to be stored, a stored event.

No infrastructure here: these are plain pydantic models that every layer can share.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

JsonObject = dict[str, Any]


def utc_millis(moment: datetime | None = None) -> datetime:
    """`moment` (default: now) in UTC, cut to whole milliseconds.

    BSON dates keep milliseconds only; cutting before hashing keeps a stored event's
    hash equal to the hash recomputed from what the database gives back.
    """
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class DomainEvent(BaseModel):
    """Base of every domain event: immutable, strict about its fields, versioned.

    Subclasses set `event_type` (a stable name, past tense) and `schema_version`
    (raised whenever the payload's shape changes; old versions are upcast on read).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class NewEvent(BaseModel):
    """An event as handed to the store: payload plus the metadata its author knows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1, max_length=64)
    event_type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(ge=1)
    payload: JsonObject
    occurred_at: AwareDatetime = Field(default_factory=utc_millis)
    causation_id: str | None = None
    correlation_id: str | None = None

    @field_validator("occurred_at")
    @classmethod
    def _millis(cls, value: datetime) -> datetime:
        return utc_millis(value)


class RecordedEvent(NewEvent):
    """An event as stored: its place in its stream and in the whole log, and its chain links."""

    stream_id: str
    version: int = Field(ge=1)
    position: int = Field(ge=1)
    recorded_at: AwareDatetime
    key_id: str
    prev_hash: str
    hash: str

    @field_validator("recorded_at")
    @classmethod
    def _recorded_millis(cls, value: datetime) -> datetime:
        return utc_millis(value)

    def same_request_as(self, event: NewEvent, stream_id: str) -> bool:
        """True when `event` is this very event sent again (an idempotent retry)."""
        return (
            self.stream_id == stream_id
            and self.event_type == event.event_type
            and self.schema_version == event.schema_version
            and self.payload == event.payload
            and self.occurred_at == event.occurred_at
            and self.causation_id == event.causation_id
            and self.correlation_id == event.correlation_id
        )
