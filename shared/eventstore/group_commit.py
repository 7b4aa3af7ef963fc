"""Group commit: many callers' appends stored with three commands, and how events are sealed.

Concurrent appends queue in a Batcher (batching.py); each batch is stored with one
position reservation, one outbox write and one ordered insert. Two appends at one stream
version in the same batch: the first goes in, the second clashes without asking the
recorder. What to do about a clash (a retry, or another writer won) is the store's
business (store.py): this module only reports where each append stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.batching import Batcher
from shared.eventstore.chain import ChainKeys
from shared.eventstore.errors import DuplicateKeyAt
from shared.eventstore.positions import PositionClock
from shared.eventstore.recorder import Document, Recorder, outbox_document, to_document


@dataclass(frozen=True)
class QueuedAppend:
    """One caller's append, as queued for a group commit."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: int
    prev_hash: str
    after_position: int  # the stream head's: this append's positions come after it
    traceparent: str | None = None  # the appender's trace, kept with its outbox entries


@dataclass(frozen=True)
class CommitOutcome:
    """What a group commit did with one append: all stored, or a clash at `clash`."""

    records: list[RecordedEvent]
    clash: int | None = None
    position_taken: bool = False


def seal_events(
    keys: ChainKeys,
    stream_id: str,
    events: Sequence[NewEvent],
    expected_version: int,
    prev_hash: str,
    first_position: int,
    recorded_at: datetime,
) -> list[RecordedEvent]:
    """The events as records of the stream after `expected_version`, each sealed over its
    content and its predecessor's hash."""
    records: list[RecordedEvent] = []
    for offset, event in enumerate(events):
        content: Document = {
            **event.model_dump(),
            "stream_id": stream_id,
            "version": expected_version + 1 + offset,
            "position": first_position + offset,
            "recorded_at": recorded_at,
            "key_id": keys.current,
            "prev_hash": prev_hash,
        }
        prev_hash = keys.seal(content)
        records.append(RecordedEvent(**content, hash=prev_hash))
    return records


class GroupCommit:
    """Stores queued appends together; `stored(records)` hears of each append that went in."""

    def __init__(
        self,
        recorder: Recorder,
        keys: ChainKeys,
        clock: Callable[[], datetime],
        positions: PositionClock,
        stored: Callable[[list[RecordedEvent]], None],
        max_events: int,
        position_attempts: int,
    ) -> None:
        self._recorder = recorder
        self._keys = keys
        self._clock = clock
        self._positions = positions
        self._stored = stored
        self._position_attempts = position_attempts
        self._commits: Batcher[QueuedAppend, CommitOutcome] = Batcher(
            self._commit, max_events, weight=lambda a: len(a.events)
        )

    async def submit(self, append: QueuedAppend) -> CommitOutcome:
        return await self._commits.submit(append)

    async def _commit(self, appends: list[QueuedAppend]) -> list[CommitOutcome]:
        """Store many callers' appends with three commands: reserve positions, write ahead,
        insert. Two appends at one stream version in the same commit: the first goes in,
        the second clashes without asking the store."""
        outcomes: dict[int, CommitOutcome] = {}
        winners: list[int] = []
        claimed: set[tuple[str, int]] = set()
        for index, item in enumerate(appends):
            at = (item.stream_id, item.expected_version)
            if at in claimed:
                outcomes[index] = CommitOutcome(records=[], clash=0)
            else:
                claimed.add(at)
                winners.append(index)
        total = sum(len(appends[i].events) for i in winners)
        after = max(appends[i].after_position for i in winners)
        sealed: dict[int, list[RecordedEvent]] = {}
        for _ in range(self._position_attempts):
            position = self._positions.reserve(total, after)
            recorded_at = self._clock()
            for i in winners:
                item = appends[i]
                sealed[i] = seal_events(
                    self._keys,
                    item.stream_id,
                    item.events,
                    item.expected_version,
                    item.prev_hash,
                    position,
                    recorded_at,
                )
                position += len(item.events)
            try:
                await self._recorder.write_ahead(
                    [outbox_document(r, appends[i].traceparent) for i in winners for r in sealed[i]]
                )
                break
            except DuplicateKeyAt:
                self._positions.redraw()
        else:
            return [
                outcomes.get(i, CommitOutcome([], position_taken=True)) for i in range(len(appends))
            ]
        clashes = await self._insert_groups([[to_document(r) for r in sealed[i]] for i in winners])
        for i, clash in zip(winners, clashes, strict=True):
            outcomes[i] = CommitOutcome(sealed[i], clash)
            if clash is None:
                self._stored(sealed[i])
        return [outcomes[i] for i in range(len(appends))]

    async def _insert_groups(self, groups: list[list[Document]]) -> list[int | None]:
        """Insert each group's documents, in order; for each group, None when all went in,
        else the index of its first document that clashed (the rest of it is not inserted).
        A clash stops an ordered insert, so the groups after it are sent again."""
        clashes: list[int | None] = [None] * len(groups)
        todo = list(range(len(groups)))
        while todo:
            flat = [(g, j) for g in todo for j in range(len(groups[g]))]
            try:
                await self._recorder.insert([groups[g][j] for g, j in flat])
            except DuplicateKeyAt as stop:
                group, index = flat[stop.index]
                clashes[group] = index
                todo = todo[todo.index(group) + 1 :]
                continue
            break
        return clashes
