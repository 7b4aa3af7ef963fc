"""The event store port: what every store offers, and the rules they all share.

A store keeps streams of events (one stream per applicant). Concrete stores (in memory,
MongoDB) supply a few primitive operations; the rules that make the log trustworthy live
here, once: expected versions, idempotent retries, chaining, and the write-ahead outbox.

Layout (see docs/adr/0003-event-store-layout.md for why):
- every event is one document keyed by `stream_id:version`, inserted once, never updated;
- before an event is inserted, a sealed copy goes to the outbox, keyed by its global
  position (positions.py). Once stored, the writer publishes it and deletes the entry;
  the relay sweeps what writers left: it publishes entries whose event exists, completes
  those whose writer died before inserting, voids those whose append lost;
- concurrent appends share one group commit, concurrent reads one `$in` (batching.py),
  and streams already read or written are kept in memory (stream_cache.py).

This file is larger than most for a reason: the append, its clash resolution and the
group commit are one algorithm, easier to check read together.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple

from shared.events.base import NewEvent, RecordedEvent, utc_millis
from shared.eventstore.batching import Batcher
from shared.eventstore.chain import GENESIS_HASH, ChainKeys, StreamChecker, VerificationReport
from shared.eventstore.errors import (
    ConcurrencyError,
    DuplicateKeyAt,
    EventStoreError,
    IdempotencyConflictError,
    _PositionTaken,
)
from shared.eventstore.positions import PositionClock
from shared.eventstore.publishing import EventPublisher
from shared.eventstore.stream_cache import StreamCache

__all__ = [
    "ConcurrencyError",
    "Document",
    "DuplicateKeyAt",
    "EventStore",
    "EventStoreError",
    "IdempotencyConflictError",
    "Settled",
    "Written",
    "event_key",
]

log = logging.getLogger(__name__)
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


class Written(NamedTuple):
    """What an append stored: the records, and whether any of them is new."""

    records: list[RecordedEvent]
    new: bool


@dataclass(frozen=True)
class _Append:
    """One caller's append, as queued for a group commit."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: int
    prev_hash: str
    after_position: int  # the stream head's: this append's positions come after it


@dataclass(frozen=True)
class _Outcome:
    """What a group commit did with one append: all stored, or a clash at `clash`."""

    records: list[RecordedEvent]
    clash: int | None = None
    position_taken: bool = False


class EventStore(ABC):
    """Append-only, chained, per-stream event log. Subclasses supply the primitives."""

    HEAD_CACHE_SIZE = 50_000
    POSITION_ATTEMPTS = 10
    READ_AHEAD = 8  # versions asked for past the cached head in one read
    MAX_COMMIT_EVENTS = 500  # events per group commit

    def __init__(
        self,
        keys: ChainKeys,
        clock: Callable[[], datetime] = utc_millis,
        cached_streams: int = 5_000,
    ) -> None:
        self._keys = keys
        self._clock = clock
        # stream id -> (version, hash, position) of the newest event this process knows of.
        # Safe to cache: a stored event never changes, so (stream, version) -> hash is fixed.
        self._heads: OrderedDict[str, tuple[int, str, int]] = OrderedDict()
        self.streams = StreamCache(keys, cached_streams)
        self._positions = PositionClock()
        self._commits: Batcher[_Append, _Outcome] = Batcher(
            self._commit, self.MAX_COMMIT_EVENTS, weight=lambda a: len(a.events)
        )
        self._publisher: EventPublisher | None = None
        self._publishing: set[asyncio.Task[None]] = set()
        self._publications: Batcher[list[RecordedEvent], None] = Batcher(
            self._publish, self.MAX_COMMIT_EVENTS, weight=len
        )

    def publish_with(self, publisher: EventPublisher) -> None:
        """Publish appended events at once, instead of leaving them to the relay."""
        self._publisher = publisher

    async def flush(self) -> None:
        """Wait for the publications under way (e.g. before shutting down)."""
        while self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)

    def now(self) -> datetime:
        return self._clock()

    # ---- primitives each store implements -------------------------------------------
    @abstractmethod
    async def _get(self, keys: Sequence[str]) -> list[Document | None]:
        """The event documents with these keys (None where there is none), in order."""

    async def _reserve_positions(self, count: int, after: int = 0) -> int:
        """The first of `count` consecutive unused positions above `after` (positions.py)."""
        return self._positions.reserve(count, after)

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

        What this process holds of the stream is read from memory; the rest by key, a
        window of versions per command (one command when the cache is current).
        """
        records = self.streams.get(stream_id)
        while True:
            version = len(records) + 1
            docs = await self._get(
                [event_key(stream_id, v) for v in range(version, version + self.READ_AHEAD)]
            )
            fresh = []
            for offset, doc in enumerate(docs):
                if doc is None:
                    break
                fresh.append(checked_document(doc, stream_id, version + offset))
            records.extend(fresh)
            self.streams.extend(stream_id, fresh)
            if len(fresh) < self.READ_AHEAD:
                break
        if records:
            self._remember_head(records[-1])
        return [
            r
            for r in records
            if r.version >= from_version and (as_of is None or r.recorded_at <= as_of)
        ]

    async def stream_version(self, stream_id: str) -> int:
        """The stream's newest version (0 when empty)."""
        return len(await self.read_stream(stream_id))

    def remember(self, record: RecordedEvent) -> bool:
        """Take a sealed event seen elsewhere (on Kafka) into the stream cache, if it is the
        next link of what this process holds; saves a read when a handler loads the stream."""
        taken = self.streams.offer(record)
        if taken and self.streams.head(record.stream_id) == record:
            self._remember_head(record)
        return taken

    # ---- appending ------------------------------------------------------------------
    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> list[RecordedEvent]:
        """Append `events` after `expected_version` of the stream, chained and sealed.

        Raises ConcurrencyError if the stream is not at `expected_version`. Sending the same
        events again (same ids and content) is a no-op that returns the stored records.
        """
        return (await self.write(stream_id, events, expected_version)).records

    async def write(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> Written:
        """`append`, also saying whether it stored anything new (False: all were stored
        before, by an earlier call with the same events)."""
        if not STREAM_ID.fullmatch(stream_id):
            raise ValueError("stream id must be 1-120 of A-Z a-z 0-9 _ . -")
        if not events:
            raise ValueError("nothing to append")
        if expected_version < 0:
            raise ValueError("expected version must be 0 or more")
        if len({e.event_id for e in events}) != len(events):
            raise ValueError("the same event id appears twice in one append")

        prev_hash, actual, after = await self._known_head(stream_id, expected_version)
        if actual < expected_version:
            raise ConcurrencyError(stream_id, expected_version, actual)
        if actual > expected_version:  # moved on, or these very events sent again
            return await self._resolve_clash(stream_id, events, expected_version, 0, [])
        for _ in range(self.POSITION_ATTEMPTS):
            outcome = await self._commits.submit(
                _Append(stream_id, events, expected_version, prev_hash, after)
            )
            if outcome.position_taken:
                continue
            if outcome.clash is None:
                if self._publisher is not None:
                    # Stored is what the caller waits for; the outbox makes sure of the rest.
                    task = asyncio.create_task(self._publications.submit(outcome.records))
                    self._publishing.add(task)
                    task.add_done_callback(self._publishing.discard)
                return Written(outcome.records, new=True)
            try:
                return await self._resolve_clash(
                    stream_id,
                    events,
                    expected_version,
                    outcome.clash,
                    outcome.records[outcome.clash :],
                )
            except _PositionTaken:
                continue
        raise EventStoreError(f"no free position after {self.POSITION_ATTEMPTS} attempts")

    async def _commit(self, appends: list[_Append]) -> list[_Outcome]:
        """Store many callers' appends with three commands: reserve positions, write ahead,
        insert. Two appends at one stream version in the same commit: the first goes in,
        the second clashes without asking the store."""
        outcomes: dict[int, _Outcome] = {}
        winners: list[int] = []
        claimed: set[tuple[str, int]] = set()
        for index, item in enumerate(appends):
            at = (item.stream_id, item.expected_version)
            if at in claimed:
                outcomes[index] = _Outcome(records=[], clash=0)
            else:
                claimed.add(at)
                winners.append(index)
        total = sum(len(appends[i].events) for i in winners)
        after = max(appends[i].after_position for i in winners)
        sealed: dict[int, list[RecordedEvent]] = {}
        for _ in range(self.POSITION_ATTEMPTS):
            position = await self._reserve_positions(total, after)
            recorded_at = self._clock()
            for i in winners:
                item = appends[i]
                sealed[i] = self._seal(
                    item.stream_id,
                    item.events,
                    item.expected_version,
                    item.prev_hash,
                    position,
                    recorded_at,
                )
                position += len(item.events)
            try:
                await self._write_ahead([to_document(r) for i in winners for r in sealed[i]])
                break
            except DuplicateKeyAt:
                self._positions.redraw()
        else:
            return [outcomes.get(i, _Outcome([], position_taken=True)) for i in range(len(appends))]
        clashes = await self._insert_groups([[to_document(r) for r in sealed[i]] for i in winners])
        for i, clash in zip(winners, clashes, strict=True):
            outcomes[i] = _Outcome(sealed[i], clash)
            if clash is None:
                self._remember_head(sealed[i][-1])
                self.streams.extend(appends[i].stream_id, sealed[i])
        return [outcomes[i] for i in range(len(appends))]

    async def _publish(self, batches: list[list[RecordedEvent]]) -> list[None]:
        """Publish what appends stored, then clear their outbox entries. If publishing
        fails the entries stay, and the relay publishes them later: the append stands."""
        records = [r for batch in batches for r in batch]
        assert self._publisher is not None
        try:
            await self._publisher.publish(records)
        except Exception as exc:
            log.warning("publishing failed; the relay will: %s", type(exc).__name__)
            return [None] * len(batches)
        await self.clear_pending([r.position for r in records])
        return [None] * len(batches)

    async def _insert_groups(self, groups: list[list[Document]]) -> list[int | None]:
        """Insert each group's documents, in order; for each group, None when all went in,
        else the index of its first document that clashed (the rest of it is not inserted).
        A clash stops an ordered insert, so the groups after it are sent again."""
        clashes: list[int | None] = [None] * len(groups)
        todo = list(range(len(groups)))
        while todo:
            flat = [(g, j) for g in todo for j in range(len(groups[g]))]
            try:
                await self._insert([groups[g][j] for g, j in flat])
            except DuplicateKeyAt as stop:
                group, index = flat[stop.index]
                clashes[group] = index
                todo = todo[todo.index(group) + 1 :]
                continue
            break
        return clashes

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
    ) -> Written:
        """An insert clashed: these events were stored before, or another writer won."""
        if unwritten:
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
        return Written([stored[e.event_id] for e in events], new=bool(missing))

    async def _known_head(self, stream_id: str, version: int) -> tuple[str, int, int]:
        """The hash and position of the stream's event at `version`, and the stream's
        version as far as this process knows: a cached head at `version` is taken on trust
        (the append's expected version checks it), anything else is read."""
        cached = self._heads.get(stream_id)
        if version == 0 and cached is None:
            return GENESIS_HASH, 0, 0
        if cached is not None and cached[0] == version:
            self._heads.move_to_end(stream_id)
            return cached[1], version, cached[2]
        records = await self.read_stream(stream_id)
        if version == 0 or len(records) < version:
            return GENESIS_HASH, len(records), 0
        head = records[version - 1]
        return head.hash, len(records), head.position

    def _remember_head(self, head: RecordedEvent) -> None:
        self._heads[head.stream_id] = (head.version, head.hash, head.position)
        self._heads.move_to_end(head.stream_id)
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
                checker = StreamChecker(self._keys, sid, key_of=event_key)
                report.streams_checked += 1
            checker.feed(doc)
            report.events_checked += 1
        if checker is not None:
            close(checker)
        return report
