"""What becomes of an outbox entry: the relay's question, answered from the recorder.

An entry is written before its event is inserted (store.py), so finding one says only
that a writer meant to store that event. Its event is in the log (publish it), another
event holds its place (its append lost, or was a repeat: drop it), or nothing does yet:
its writer may still insert it, or died, in which case the entry itself completes the
append (whoever inserts first, the content is the same), but only if the event stored
before its slot is the one the entry was sealed after (its `prev_hash`): a writer that
died after writing ahead a two-event append, while another writer took the first slot,
left a second entry whose predecessor lost; inserting it would fork the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import Enum

from shared.event_schema.base import RecordedEvent
from shared.eventstore.chain import GENESIS_HASH
from shared.eventstore.errors import DuplicateKeyAt
from shared.eventstore.recorder import Recorder, event_key, to_document


class Settled(Enum):
    """What the relay finds for an outbox entry."""

    STORED = "stored"  # the event is in the log: publish it
    VOID = "void"  # its append lost (or was a repeat): drop the entry
    IN_FLIGHT = "in_flight"  # its writer may still insert it: wait


async def settle_entries(
    recorder: Recorder,
    entries: Sequence[RecordedEvent],
    clock: Callable[[], datetime],
    grace: timedelta,
) -> list[Settled]:
    """Each entry's fate; entries older than `grace` whose event is absent are completed
    when they link to the stored event before them, voided otherwise. Entries are taken
    in the order given (the outbox's: by position, so a stream's in version order), and
    an entry completed here is the predecessor the next one of its append links to."""
    docs = await recorder.get([event_key(e.stream_id, e.version) for e in entries])
    now = clock()
    verdicts: list[Settled] = []
    for entry, doc in zip(entries, docs, strict=True):
        if doc is not None:
            verdicts.append(Settled.STORED if doc["event_id"] == entry.event_id else Settled.VOID)
        elif now - entry.recorded_at < grace:
            verdicts.append(Settled.IN_FLIGHT)
        elif not await _links_to_stored(recorder, entry):
            verdicts.append(Settled.VOID)
        else:
            verdicts.append(await _complete(recorder, entry))
    return verdicts


async def _links_to_stored(recorder: Recorder, entry: RecordedEvent) -> bool:
    """Whether the event stored before the entry's slot is the one it was sealed after."""
    if entry.version == 1:
        return entry.prev_hash == GENESIS_HASH
    [before] = await recorder.get([event_key(entry.stream_id, entry.version - 1)])
    return before is not None and before.get("hash") == entry.prev_hash


async def _complete(recorder: Recorder, entry: RecordedEvent) -> Settled:
    """Insert an entry whose writer died; whoever inserts first, the content is the same."""
    try:
        await recorder.insert([to_document(entry)])
    except DuplicateKeyAt:
        [doc] = await recorder.get([event_key(entry.stream_id, entry.version)])
        stored = doc is not None and doc["event_id"] == entry.event_id
        return Settled.STORED if stored else Settled.VOID
    return Settled.STORED
