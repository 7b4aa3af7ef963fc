"""The event store port: what every store offers, and the rules they all share.

A store keeps streams of events (one stream per applicant). Concrete stores (in memory,
MongoDB) supply a few primitive operations; the rules that make the log trustworthy live
here, once: expected versions, idempotent retries, chaining, and the write-ahead outbox.

Layout (see docs/adr/0003-event-store-layout.md for why):
- every event is one document keyed by `stream_id:version`, inserted once, never updated;
- before an event is inserted, a sealed copy goes to the outbox, keyed by its global
  position. The relay publishes outbox entries whose event exists, completes those whose
  writer died before inserting, voids those whose append lost, and then deletes them.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from shared.events.base import NewEvent, RecordedEvent, utc_millis
from shared.eventstore.chain import GENESIS_HASH, ChainKeys, StreamChecker, VerificationReport
from shared.eventstore.errors import (
    ConcurrencyError,
    DuplicateKeyAt,
    EventStoreError,
    IdempotencyConflictError,
    _PositionTaken,
)

__all__ = [
    "ConcurrencyError",
    "Document",
    "DuplicateKeyAt",
    "EventStore",
    "EventStoreError",
    "IdempotencyConflictError",
    "Settled",
    "event_key",
]

Document = dict[str, Any]
STREAM_ID = re.compile(r"[A-Za-z0-9_.-]{1,120}")


class Settled(Enum):
    """What the relay finds for an outbox entry."""

    STORED = "stored"  # the event is in the log: publish it
    VOID = "void"  # its append lost (or was a repeat): drop the entry
    IN_FLIGHT = "in_flight"  # its writer may still insert it: wait


def event_key(stream_id: str, version: int) -> str:
    """The document id of a stream's event; zero-padded so text order is version order."""
    return f"{stream_id}:{version:010d}"


def to_document(event: RecordedEvent) -> Document:
    return {"_id": event_key(event.stream_id, event.version), **event.model_dump()}


def from_document(doc: Document) -> RecordedEvent:
    return RecordedEvent(**{k: v for k, v in doc.items() if k != "_id"})


class EventStore(ABC):
    """Append-only, chained, per-stream event log. Subclasses supply the primitives."""

    HEAD_CACHE_SIZE = 50_000
    POSITION_ATTEMPTS = 10

    def __init__(self, keys: ChainKeys, clock: Callable[[], datetime] = utc_millis) -> None:
        self._keys = keys
        self._clock = clock
        # stream id -> (version, hash) of the newest event this process knows of.
        # Safe to cache: a stored event never changes, so (stream, version) -> hash is fixed.
        self._heads: OrderedDict[str, tuple[int, str]] = OrderedDict()

    # ---- primitives each store implements -------------------------------------------
    @abstractmethod
    async def _get(self, keys: Sequence[str]) -> list[Document | None]:
        """The event documents with these keys (None where there is none), in order."""

    @abstractmethod
    async def _reserve_positions(self, count: int, skip: int = 0) -> int:
        """Skip `skip` positions, then reserve `count` consecutive ones; returns the first."""

    @abstractmethod
    async def _write_ahead(self, docs: Sequence[Document]) -> None:
        """Add these event documents to the outbox (keyed by position), all or none.

        Raises DuplicateKeyAt when a position is already in the outbox.
        """

    @abstractmethod
    async def _insert(self, docs: Sequence[Document]) -> None:
        """Insert events in order; DuplicateKeyAt(i) when docs[i]'s key or event id is taken."""

    @abstractmethod
    async def _event_id_taken(self, event_id: str) -> bool:
        """Whether any stream holds this event id (a slow path: only after a clash)."""

    @abstractmethod
    async def pending(self, limit: int = 500) -> list[RecordedEvent]:
        """Outbox entries, lowest position first."""

    @abstractmethod
    async def clear_pending(self, positions: Sequence[int]) -> None:
        """Remove these outbox entries (published or void)."""

    @abstractmethod
    def read_all(self, after_position: int = 0) -> AsyncIterator[RecordedEvent]:
        """Every stream's events after a global position, in position order.

        Positions can have gaps (a reservation whose append lost a race or whose writer died).
        """

    @abstractmethod
    def raw_documents(
        self, stream_id: str | None = None, after_stream: str | None = None
    ) -> AsyncIterator[Document]:
        """Stored documents as they are, by stream id then version (for verification);
        one stream, or every stream (after `after_stream`, to resume a long walk)."""

    # ---- reading ----------------------------------------------------------------------
    async def read_stream(
        self, stream_id: str, from_version: int = 1, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        """The stream's events from `from_version`, recorded no later than `as_of`.

        Reads by key in growing windows (8, 16, 32… at once) until the first absent version:
        point reads by `_id` are fast on every MongoDB-wire server.
        """
        records: list[RecordedEvent] = []
        version, window = max(from_version, 1), 8
        while True:
            docs = await self._get(
                [event_key(stream_id, v) for v in range(version, version + window)]
            )
            for doc in docs:
                if doc is None:
                    return [r for r in records if as_of is None or r.recorded_at <= as_of]
                records.append(from_document(doc))
            version, window = version + window, min(window * 2, 256)

    async def stream_version(self, stream_id: str) -> int:
        """The stream's newest version (0 when empty): gallop, then bisect, by key."""

        async def exists(version: int) -> bool:
            return (await self._get([event_key(stream_id, version)]))[0] is not None

        low, high = 0, 1  # low exists (0 trivially), high is the probe
        while await exists(high):
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if await exists(middle) else (low, middle)
        return low

    # ---- appending ------------------------------------------------------------------
    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` after `expected_version` of the stream, chained and sealed.

        Raises ConcurrencyError if the stream is not at `expected_version`. Sending the same
        events again (same ids and content) is a no-op that returns the stored records.
        """
        if not STREAM_ID.fullmatch(stream_id):
            raise ValueError("stream id must be 1-120 of A-Z a-z 0-9 _ . -")
        if not events:
            raise ValueError("nothing to append")
        if expected_version < 0:
            raise ValueError("expected version must be 0 or more")
        if len({e.event_id for e in events}) != len(events):
            raise ValueError("the same event id appears twice in one append")

        prev_hash = await self._known_hash(stream_id, expected_version)
        if prev_hash is None:  # the stream is not that long
            raise ConcurrencyError(
                stream_id, expected_version, await self.stream_version(stream_id)
            )
        # A counter hands out positions; on FerretDB concurrent increments can return the same
        # number (its findAndModify is not atomic), so the outbox's unique key on position is
        # the real guard. A retry skips a random stretch, so racing retries part ways; the
        # gaps this leaves are harmless (positions order events, they do not count them).
        for attempt in range(self.POSITION_ATTEMPTS):
            skip = random.randint(0, 8 * attempt * len(events))  # noqa: S311 (not security)
            records = self._seal(
                stream_id,
                events,
                expected_version,
                prev_hash,
                await self._reserve_positions(len(events), skip),
                self._clock(),
            )
            docs = [to_document(r) for r in records]
            try:
                await self._write_ahead(docs)
            except DuplicateKeyAt:
                continue
            try:
                await self._insert(docs)
            except DuplicateKeyAt as clash:
                try:
                    return await self._resolve_clash(
                        stream_id, events, expected_version, clash.index, records[clash.index :]
                    )
                except _PositionTaken:
                    continue
            self._remember_head(stream_id, records[-1].version, records[-1].hash)
            return records
        raise EventStoreError(f"no free position after {self.POSITION_ATTEMPTS} attempts")

    def _seal(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        prev_hash: str,
        first_position: int,
        recorded_at: datetime,
    ) -> list[RecordedEvent]:
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
        return records

    async def _resolve_clash(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        index: int,
        unwritten: Sequence[RecordedEvent],
    ) -> list[RecordedEvent]:
        """An insert clashed: these events were stored before, or another writer won."""
        await self.clear_pending([r.position for r in unwritten])
        stored = {r.event_id: r for r in await self.read_stream(stream_id)}
        clashed = events[index]
        if clashed.event_id not in stored:
            taken = await self._get([event_key(stream_id, expected_version + 1 + index)])
            if taken[0] is not None:
                raise ConcurrencyError(stream_id, expected_version + index, len(stored))
            if await self._event_id_taken(clashed.event_id):
                raise IdempotencyConflictError(clashed.event_id)  # used in another stream
            raise _PositionTaken
        for event in events:
            if event.event_id in stored and not stored[event.event_id].same_request_as(
                event, stream_id
            ):
                raise IdempotencyConflictError(event.event_id)
        missing = [e for e in events if e.event_id not in stored]
        if missing:
            # An earlier call stored only part of this batch: finish it at the stream's head.
            for record in await self.append(stream_id, missing, len(stored)):
                stored[record.event_id] = record
        return [stored[e.event_id] for e in events]

    async def _known_hash(self, stream_id: str, version: int) -> str | None:
        if version == 0:
            return GENESIS_HASH
        cached = self._heads.get(stream_id)
        if cached is not None and cached[0] == version:
            self._heads.move_to_end(stream_id)
            return cached[1]
        [doc] = await self._get([event_key(stream_id, version)])
        if doc is None:
            return None
        self._remember_head(stream_id, version, str(doc["hash"]))
        return str(doc["hash"])

    def _remember_head(self, stream_id: str, version: int, hash_: str) -> None:
        self._heads[stream_id] = (version, hash_)
        self._heads.move_to_end(stream_id)
        if len(self._heads) > self.HEAD_CACHE_SIZE:
            self._heads.popitem(last=False)

    # ---- the outbox, for the relay ---------------------------------------------------
    async def settle(self, entries: Sequence[RecordedEvent], grace: timedelta) -> list[Settled]:
        """Decide each outbox entry's fate; completes the appends of writers that died."""
        docs = await self._get([event_key(e.stream_id, e.version) for e in entries])
        now = self._clock()
        verdicts: list[Settled] = []
        for entry, doc in zip(entries, docs, strict=True):
            if doc is not None:
                verdicts.append(
                    Settled.STORED if doc["event_id"] == entry.event_id else Settled.VOID
                )
            elif now - entry.recorded_at < grace:
                verdicts.append(Settled.IN_FLIGHT)
            else:
                verdicts.append(await self._complete(entry))
        return verdicts

    async def _complete(self, entry: RecordedEvent) -> Settled:
        """Insert an entry whose writer died; whoever inserts first, the content is the same."""
        try:
            await self._insert([to_document(entry)])
        except DuplicateKeyAt:
            [doc] = await self._get([event_key(entry.stream_id, entry.version)])
            stored = doc is not None and doc["event_id"] == entry.event_id
            return Settled.STORED if stored else Settled.VOID
        return Settled.STORED

    # ---- integrity --------------------------------------------------------------------
    async def verify(
        self,
        stream_id: str | None = None,
        after_stream: str | None = None,
        progress: Callable[[VerificationReport, str], None] | None = None,
    ) -> VerificationReport:
        """Walk one stream, or every stream (after `after_stream`), and report the first
        break in each. `progress(report, stream_id)` is called as each stream is done."""
        report = VerificationReport()
        checker: StreamChecker | None = None

        def close(done: StreamChecker) -> None:
            done.finish()
            if done.broken is not None:
                report.breaks.append(done.broken)
            report.last_stream = done.stream_id
            if progress is not None:
                progress(report, done.stream_id)

        async for doc in self.raw_documents(stream_id, after_stream):
            sid = str(doc.get("stream_id"))
            if checker is None or checker.stream_id != sid:
                if checker is not None:
                    close(checker)
                checker = StreamChecker(self._keys, sid)
                report.streams_checked += 1
            checker.feed(doc)
            report.events_checked += 1
        if checker is not None:
            close(checker)
        return report
