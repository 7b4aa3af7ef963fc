"""The event store port: what every store offers, and the append rules they all share.

A store is a log of events in streams (one stream per applicant). Concrete stores
(in memory, MongoDB) supply a few primitive operations; the rules that make the log
trustworthy (expected versions, idempotent retries, chaining) live here, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.events.base import NewEvent, RecordedEvent, utc_millis
from shared.eventstore.chain import (
    GENESIS_HASH,
    ChainKeys,
    StreamChecker,
    VerificationReport,
)

Document = dict[str, Any]


class EventStoreError(Exception):
    """Base of the store's own errors. Messages name streams and ids, never payloads."""


class ConcurrencyError(EventStoreError):
    """Another writer appended to the stream first: reload it and decide again."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id}: expected version {expected_version}, "
            f"but it is at {actual_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class IdempotencyConflictError(EventStoreError):
    """An event id that is already stored arrived again with different content."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is already stored with different content")
        self.event_id = event_id


class DuplicateKeyAt(Exception):
    """Raised by a store's `_insert`: documents before `index` were written, that one was not."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def to_document(event: RecordedEvent, unpublished: bool = True) -> Document:
    doc: Document = event.model_dump()
    doc["_id"] = doc.pop("event_id")
    if unpublished:
        doc["unpublished"] = True
    return doc


def from_document(doc: Mapping[str, Any]) -> RecordedEvent:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "unpublished")}
    return RecordedEvent(event_id=doc["_id"], **fields)


class EventStore(ABC):
    """Append-only, chained, per-stream event log. Subclasses supply the primitives."""

    HEAD_CACHE_SIZE = 50_000

    def __init__(self, keys: ChainKeys, clock: Callable[[], datetime] = utc_millis) -> None:
        self._keys = keys
        self._clock = clock
        # stream id -> (version, hash) of the newest event this process knows of.
        # Safe to cache: a stored event never changes, so (stream, version) -> hash is fixed.
        self._heads: OrderedDict[str, tuple[int, str]] = OrderedDict()

    # ---- primitives each store implements -------------------------------------------
    @abstractmethod
    async def _hash_at(self, stream_id: str, version: int) -> str | None:
        """Hash of the event at `version` of the stream, None when there is none."""

    @abstractmethod
    async def _reserve_positions(self, count: int) -> int:
        """Reserve `count` consecutive global positions; returns the first."""

    @abstractmethod
    async def _insert(self, docs: Sequence[Document]) -> None:
        """Insert in order; raise DuplicateKeyAt(i) when docs[i] clashes with a stored one."""

    @abstractmethod
    async def _find(self, event_ids: Sequence[str]) -> list[Document]:
        """The stored documents with these event ids (any order)."""

    @abstractmethod
    async def stream_version(self, stream_id: str) -> int:
        """The stream's newest version; 0 for a stream with no events."""

    @abstractmethod
    async def read_stream(
        self, stream_id: str, from_version: int = 1, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        """The stream's events from `from_version`, recorded no later than `as_of`."""

    @abstractmethod
    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events of all streams after a global position, in position order.

        Positions can have gaps (a reservation whose append lost a race), and an event can
        become visible shortly after a later position did: catch-up readers allow for both.
        """

    @abstractmethod
    async def unpublished(self, limit: int = 500) -> list[RecordedEvent]:
        """Events not yet confirmed as published, oldest position first."""

    @abstractmethod
    async def mark_published(self, event_ids: Sequence[str]) -> None:
        """Clear the not-yet-published mark of these events."""

    @abstractmethod
    def raw_documents(self, stream_id: str | None = None) -> AsyncIterator[Document]:
        """Stored documents as they are, by stream id then version (for verification)."""

    # ---- the shared rules -------------------------------------------------------------
    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` after `expected_version` of the stream, chained and sealed.

        Raises ConcurrencyError if the stream is not at `expected_version`. Sending the same
        events again (same ids and content) is a no-op that returns the stored records.
        """
        if not stream_id:
            raise ValueError("stream id is empty")
        if not events:
            raise ValueError("nothing to append")
        if expected_version < 0:
            raise ValueError("expected version must be 0 or more")
        if len({e.event_id for e in events}) != len(events):
            raise ValueError("the same event id appears twice in one append")

        prev_hash = await self._known_hash(stream_id, expected_version)
        if prev_hash is None:
            raise ConcurrencyError(
                stream_id, expected_version, await self.stream_version(stream_id)
            )
        first_position = await self._reserve_positions(len(events))
        recorded_at = self._clock()
        records: list[RecordedEvent] = []
        for offset, event in enumerate(events):
            content: Document = {
                **event.model_dump(),
                "stream_id": stream_id,
                "version": expected_version + 1 + offset,
                "position": first_position + offset,
                "recorded_at": recorded_at,
                "key_id": self._keys.current,
                "prev_hash": prev_hash,
            }
            prev_hash = self._keys.seal(content)
            records.append(RecordedEvent(**content, hash=prev_hash))

        try:
            await self._insert([to_document(r) for r in records])
        except DuplicateKeyAt as clash:
            return await self._resolve_clash(stream_id, events, expected_version, clash.index)
        self._remember_head(stream_id, records[-1].version, records[-1].hash)
        return records

    async def _resolve_clash(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int, index: int
    ) -> list[RecordedEvent]:
        """An insert clashed: either these events were stored before, or a writer won a race."""
        stored = {doc["_id"]: from_document(doc) for doc in await self._find([e.event_id for e in events])}
        if events[index].event_id not in stored:
            raise ConcurrencyError(
                stream_id, expected_version + index, await self.stream_version(stream_id)
            )
        for event in events:
            if event.event_id in stored and not stored[event.event_id].same_request_as(
                event, stream_id
            ):
                raise IdempotencyConflictError(event.event_id)
        missing = [e for e in events if e.event_id not in stored]
        if missing:
            # An earlier call stored only part of this batch: finish it at the stream's head.
            await self.append(stream_id, missing, await self.stream_version(stream_id))
            stored.update(
                {doc["_id"]: from_document(doc) for doc in await self._find([e.event_id for e in missing])}
            )
        return [stored[e.event_id] for e in events]

    async def _known_hash(self, stream_id: str, version: int) -> str | None:
        if version == 0:
            return GENESIS_HASH
        cached = self._heads.get(stream_id)
        if cached is not None and cached[0] == version:
            self._heads.move_to_end(stream_id)
            return cached[1]
        found = await self._hash_at(stream_id, version)
        if found is not None:
            self._remember_head(stream_id, version, found)
        return found

    def _remember_head(self, stream_id: str, version: int, hash_: str) -> None:
        self._heads[stream_id] = (version, hash_)
        self._heads.move_to_end(stream_id)
        if len(self._heads) > self.HEAD_CACHE_SIZE:
            self._heads.popitem(last=False)

    async def verify(self, stream_id: str | None = None) -> VerificationReport:
        """Walk one stream, or every stream, and report the first break in each."""
        report = VerificationReport()
        checker: StreamChecker | None = None
        async for doc in self.raw_documents(stream_id):
            sid = str(doc.get("stream_id"))
            if checker is None or checker.stream_id != sid:
                if checker is not None and checker.broken is not None:
                    report.breaks.append(checker.broken)
                checker = StreamChecker(self._keys, sid)
                report.streams_checked += 1
            checker.feed(doc)
            report.events_checked += 1
        if checker is not None and checker.broken is not None:
            report.breaks.append(checker.broken)
        return report
