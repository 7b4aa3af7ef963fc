"""The recorder port: the few storage primitives an event store is built on.

A recorder keeps documents and enforces unique keys; it knows nothing of streams' rules
(expected versions, chaining, idempotency), which the event store (store.py) applies once
for every recorder. The name is pyeventsourcing's: an application's store *has* a recorder.
Recorders: in memory (memory.py) and on a MongoDB-wire server (mongo.py).

Layout of what a recorder keeps (see docs/adr/0003-event-store-layout.md for why):
- every event is one document keyed by `stream_id:version` (`event_key`), inserted once,
  never updated; its `event_id` and `position` are unique too;
- the outbox: sealed copies of events about to be inserted, keyed by global position,
  each with the appender's W3C `traceparent` beside it when traced (`outbox_document`):
  not part of the event, so never in the log nor under its seal.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any

from shared.event_schema.base import RecordedEvent
from shared.eventstore.errors import EventStoreError
from shared.observability import tracing

Document = dict[str, Any]
TRACEPARENT = "traceparent"  # an outbox entry's field, beside the event's own


def event_key(stream_id: str, version: int) -> str:
    """The document id of a stream's event; zero-padded so text order is version order."""
    return f"{stream_id}:{version:010d}"


def to_document(event: RecordedEvent) -> Document:
    return {"_id": event_key(event.stream_id, event.version), **event.model_dump()}


def from_document(doc: Document) -> RecordedEvent:
    return RecordedEvent(**{k: v for k, v in doc.items() if k != "_id"})


def outbox_document(event: RecordedEvent, traceparent: str | None) -> Document:
    """An outbox entry: the sealed event, and the context of the append that wrote it."""
    doc = to_document(event)
    if traceparent:
        doc[TRACEPARENT] = traceparent
    return doc


def from_outbox(doc: Document) -> RecordedEvent:
    """The event of an outbox entry; its stored context goes to tracing, so the event is
    published in its appender's trace whoever publishes it (the relay, for a writer that
    died or could not reach Kafka)."""
    event = from_document({k: v for k, v in doc.items() if k != TRACEPARENT})
    tracing.carried(event.event_id, doc.get(TRACEPARENT))
    return event


def checked_document(doc: Document, stream_id: str, version: int) -> RecordedEvent:
    """A stored event read by its key, refused if its fields disagree with that key.

    Readers find events by `_id`, verify() walks `stream_id` and `version`: a document
    whose key and fields disagree (swapped by someone with database access) must not be
    believed by either.
    """
    record = from_document(doc)
    if (
        doc.get("_id") != event_key(stream_id, version)
        or record.stream_id != stream_id
        or record.version != version
    ):
        raise EventStoreError(f"the event stored under {event_key(stream_id, version)} is not it")
    return record


class Recorder(ABC):
    """Storage primitives: reads by key, all-or-none outbox writes, ordered inserts."""

    @abstractmethod
    async def get(self, keys: Sequence[str]) -> list[Document | None]:
        """The event documents with these keys (None where there is none), in order."""

    @abstractmethod
    async def write_ahead(self, docs: Sequence[Document]) -> None:
        """Add these outbox documents (`outbox_document`) to the outbox (keyed by
        position), all or none.

        Raises DuplicateKeyAt when a position is already in the outbox.
        """

    @abstractmethod
    async def insert(self, docs: Sequence[Document]) -> None:
        """Insert events in order; DuplicateKeyAt(i) when docs[i]'s key or event id is taken."""

    @abstractmethod
    async def event_id_taken(self, event_id: str) -> bool:
        """Whether any stream holds this event id (a slow path: only after a clash)."""

    @abstractmethod
    async def pending(self, limit: int = 500) -> list[RecordedEvent]:
        """Outbox entries' events (`from_outbox`), lowest position first."""

    @abstractmethod
    async def clear_pending(self, positions: Sequence[int]) -> None:
        """Remove these outbox entries (published or void)."""

    @abstractmethod
    def read_all(self) -> AsyncIterator[RecordedEvent]:
        """Every stream's events, in position order: a full replay, each stream's events in
        version order (a stream's next position is drawn above its head's).

        No cursor (`after_position`) on purpose: positions come from each writer's clock,
        so an event stored later can carry a smaller position than one already read; a
        catch-up from the last position seen would miss it (positions.py).
        """

    @abstractmethod
    def raw_documents(
        self, stream_id: str | None = None, after_stream: str | None = None
    ) -> AsyncIterator[Document]:
        """Stored documents as they are, by stream id then version (for verification);
        one stream, or every stream (after `after_stream`, to resume a long walk)."""
