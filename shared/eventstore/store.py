"""The event store: streams of sealed events on a recorder, with the rules that make the
log trustworthy, applied once for every recorder: expected versions, idempotent retries,
chaining, and the write-ahead outbox.

A store keeps streams of events (one stream per applicant) on a `Recorder` (recorder.py:
in memory or MongoDB), which supplies only storage primitives. Layout and why:
docs/adr/0003-event-store-layout.md. In short:
- before an event is inserted, a sealed copy goes to the outbox, keyed by its global
  position (positions.py). Once stored, the writer publishes it and deletes the entry
  (publishing.py); the relay (relay.py) sweeps what writers left: `settle` tells it which
  entries' events exist, completes those whose writer died before inserting, voids those
  whose append lost;
- concurrent appends share one group commit (group_commit.py), concurrent reads one `$in`
  (the MongoDB recorder), and streams already read or written are kept in memory
  (stream_cache.py); verify() walks the chains (walk.py).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from shared.event_schema.base import NewEvent, RecordedEvent, utc_millis
from shared.eventstore.chain import GENESIS_HASH, ChainKeys, VerificationReport
from shared.eventstore.errors import (
    ConcurrencyError,
    EventStoreError,
    IdempotencyConflictError,
    _PositionTaken,
)
from shared.eventstore.group_commit import GroupCommit, QueuedAppend
from shared.eventstore.outbox import Settled, settle_entries
from shared.eventstore.positions import PositionClock
from shared.eventstore.publishing import EventPublisher, Publications
from shared.eventstore.recorder import Document, Recorder, checked_document, event_key
from shared.eventstore.stream_cache import StreamCache
from shared.eventstore.walk import walk_stored_streams
from shared.observability import tracing

__all__ = [
    "ConcurrencyError",
    "EventStore",
    "EventStoreError",
    "IdempotencyConflictError",
    "Settled",
    "Written",
]

STREAM_ID = re.compile(r"[A-Za-z0-9_.-]{1,120}")


class Written(NamedTuple):
    """What an append stored: the records, and whether any of them is new."""

    records: list[RecordedEvent]
    new: bool


class EventStore:
    """Append-only, chained, per-stream event log on a recorder."""

    HEAD_CACHE_SIZE = 50_000
    POSITION_ATTEMPTS = 10
    READ_AHEAD = 8  # versions asked for past the cached head in one read
    MAX_COMMIT_EVENTS = 500  # events per group commit

    def __init__(
        self,
        recorder: Recorder,
        keys: ChainKeys,
        clock: Callable[[], datetime] = utc_millis,
        cached_streams: int = 5_000,
        positions: PositionClock | None = None,
    ) -> None:
        self.recorder = recorder
        self._keys = keys
        self._clock = clock
        # stream id -> (version, hash, position) of the newest event this process knows of.
        # Safe to cache: a stored event never changes, so (stream, version) -> hash is fixed.
        self._heads: OrderedDict[str, tuple[int, str, int]] = OrderedDict()
        self.streams = StreamCache(keys, cached_streams)
        self._commits = GroupCommit(
            recorder,
            keys,
            clock,
            positions or PositionClock(),
            self._stored,
            self.MAX_COMMIT_EVENTS,
            self.POSITION_ATTEMPTS,
        )
        self._publications: Publications | None = None

    def publish_with(self, publisher: EventPublisher) -> None:
        """Publish appended events at once, instead of leaving them to the relay."""
        self._publications = Publications(
            publisher, self.recorder.clear_pending, self.MAX_COMMIT_EVENTS
        )

    async def flush(self) -> None:
        """Wait for the publications under way (e.g. before shutting down)."""
        if self._publications is not None:
            await self._publications.flush()

    def now(self) -> datetime:
        return self._clock()

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
            docs = await self.recorder.get(
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

    async def holds(self, record: RecordedEvent) -> bool:
        """Whether the log holds this very event (e.g. one seen on Kafka, where anyone who
        can write to the topic could have put it): the sealed next link of a stream this
        process holds, or the same as the event stored at its place."""
        if self.remember(record):
            return True
        stored = await self.read_stream(record.stream_id, from_version=record.version)
        return bool(stored) and stored[0] == record

    def read_all(self) -> AsyncIterator[RecordedEvent]:
        """Every stream's events in position order, each stream's in version order: a
        full replay only (no cursor: positions follow writers' clocks, recorder.py)."""
        return self.recorder.read_all()

    def raw_documents(
        self, stream_id: str | None = None, after_stream: str | None = None
    ) -> AsyncIterator[Document]:
        """Stored documents as they are, by stream id then version (for verification)."""
        return self.recorder.raw_documents(stream_id, after_stream)

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
                QueuedAppend(
                    stream_id, events, expected_version, prev_hash, after, tracing.traceparent()
                )
            )
            if outcome.position_taken:
                continue
            if outcome.clash is None:
                if self._publications is not None:
                    # Stored is what the caller waits for; the outbox makes sure of the rest.
                    self._publications.start(outcome.records)
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

    def _stored(self, records: list[RecordedEvent]) -> None:
        """A group commit stored these records of one stream: they are its head now."""
        self._remember_head(records[-1])
        self.streams.extend(records[-1].stream_id, records)

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
            await self.recorder.clear_pending([r.position for r in unwritten])
        stored = {r.event_id: r for r in await self.read_stream(stream_id)}
        clashed = events[index]
        if clashed.event_id not in stored:
            taken = await self.recorder.get([event_key(stream_id, expected_version + 1 + index)])
            if taken[0] is not None:
                raise ConcurrencyError(stream_id, expected_version + index, len(stored))
            if await self.recorder.event_id_taken(clashed.event_id):
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
    async def pending(self, limit: int = 500) -> list[RecordedEvent]:
        """Outbox entries, lowest position first."""
        return await self.recorder.pending(limit)

    async def clear_pending(self, positions: Sequence[int]) -> None:
        """Remove these outbox entries (published or void)."""
        await self.recorder.clear_pending(positions)

    async def settle(self, entries: Sequence[RecordedEvent], grace: timedelta) -> list[Settled]:
        """Decide each outbox entry's fate; completes the appends of writers that died."""
        return await settle_entries(self.recorder, entries, self._clock, grace)

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
        docs = self.recorder.raw_documents(stream_id, after_stream)
        async for walked in walk_stored_streams(docs, self._keys, key_of=event_key):
            report.streams_checked += 1
            report.events_checked += walked.events
            if walked.broken is not None:
                report.breaks.append(walked.broken)
            report.last_stream = walked.stream_id
            if progress is not None:
                progress(report, walked.stream_id)
        return report
