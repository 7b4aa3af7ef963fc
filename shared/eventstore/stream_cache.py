"""Streams this process has read or written, kept in memory.

Safe to keep because a stored event never changes: version v of a stream, once read and
checked, is the same forever (verify() finds it if someone edits the database behind our
back). So a read of a cached stream only asks the store for what came after it, one
command, and a writer that knows a stream's head needs no read at all before appending:
the append itself, at an expected version, is the check that nothing came in between.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from shared.event_schema.base import RecordedEvent
from shared.eventstore.chain import GENESIS_HASH, ChainKeys


class StreamCache:
    def __init__(self, keys: ChainKeys, max_streams: int) -> None:
        self._keys = keys
        self._max_streams = max_streams
        # stream id -> its events from version 1, contiguous, each linked to the one before.
        self._streams: OrderedDict[str, list[RecordedEvent]] = OrderedDict()

    def get(self, stream_id: str) -> list[RecordedEvent]:
        """The cached events of a stream from version 1 (a copy; empty if none)."""
        events = self._streams.get(stream_id)
        if events is None:
            return []
        self._streams.move_to_end(stream_id)
        return list(events)

    def head(self, stream_id: str) -> RecordedEvent | None:
        events = self._streams.get(stream_id)
        return events[-1] if events else None

    def extend(self, stream_id: str, records: Sequence[RecordedEvent]) -> None:
        """Add records that follow what is cached (as read from or written to the store)."""
        if not records or self._max_streams <= 0:
            return
        events = self._streams.get(stream_id, [])
        if records[0].version != len(events) + 1:
            return  # not contiguous with what we hold: keep what we have
        events = events + list(records)
        self._streams[stream_id] = events
        self._streams.move_to_end(stream_id)
        while len(self._streams) > self._max_streams:
            self._streams.popitem(last=False)

    def offer(self, record: RecordedEvent) -> bool:
        """Take an event seen elsewhere (e.g. on Kafka) if it is the next link of a cached
        stream (or a stream's first event) and carries a valid seal. Anyone who can write
        to a topic could send a forged event: without the chain key it cannot pass."""
        events = self._streams.get(record.stream_id, [])
        if record.version != len(events) + 1:
            return record.version <= len(events) and events[record.version - 1] == record
        expected_prev = events[-1].hash if events else GENESIS_HASH
        if record.prev_hash != expected_prev or not self._sealed(record):
            return False
        self.extend(record.stream_id, [record])
        return True

    def forget(self, stream_id: str) -> None:
        self._streams.pop(stream_id, None)

    def _sealed(self, record: RecordedEvent) -> bool:
        return self._keys.sealed(record.model_dump(), record.hash)
