"""One behaviour, every store: subclasses supply a `store` fixture and raw-tamper helpers.

The tamper helpers act on stored documents directly, as someone with database access
would (bypassing the store's API), to show the chain exposes them.

A little over ~300 lines on purpose: the whole contract in one class, which both stores
must pass.
"""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.chain import GENESIS_HASH, ChainKeys
from shared.eventstore.group_commit import seal_events
from shared.eventstore.positions import PositionClock
from shared.eventstore.recorder import Document, event_key, to_document
from shared.eventstore.store import (
    ConcurrencyError,
    EventStore,
    EventStoreError,
    IdempotencyConflictError,
    Settled,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
GRACE = timedelta(seconds=10)
KEYS = ChainKeys.single("test", "test-chain-key-0123456789")  # the conftest's chain_keys


def event(n: int, **payload: Any) -> NewEvent:
    return NewEvent(
        event_id=f"evt-{n}",
        event_type="Tested",
        schema_version=1,
        payload={"n": n, **payload},
        occurred_at=T0,
    )


def key(record: RecordedEvent) -> str:
    return event_key(record.stream_id, record.version)


class SteppingClock:
    """A clock that moves one minute each time it is read."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class EventStoreContract(ABC):
    @abstractmethod
    async def tamper_update(self, store: EventStore, key: str, changes: Document) -> None: ...

    @abstractmethod
    async def tamper_delete(self, store: EventStore, key: str) -> None: ...

    @abstractmethod
    async def tamper_insert(self, store: EventStore, doc: Document) -> None: ...

    # ---- appending and reading -----------------------------------------------------------
    async def test_append_numbers_and_chains_events(self, store: EventStore) -> None:
        records = await store.append("s-1", [event(1), event(2)], expected_version=0)
        assert [r.version for r in records] == [1, 2]
        assert records[0].prev_hash == GENESIS_HASH
        assert records[1].prev_hash == records[0].hash
        assert records[0].position < records[1].position
        assert await store.read_stream("s-1") == records
        assert await store.stream_version("s-1") == 2

    async def test_read_stream_from_version(self, store: EventStore) -> None:
        await store.append("s-1", [event(1), event(2), event(3)], expected_version=0)
        assert [r.payload["n"] for r in await store.read_stream("s-1", from_version=2)] == [2, 3]
        assert await store.read_stream("nobody") == []
        assert await store.stream_version("nobody") == 0

    async def test_read_stream_as_of_a_time(self, store: EventStore) -> None:
        first = await store.append("s-1", [event(1)], expected_version=0)
        await store.append("s-1", [event(2)], expected_version=1)
        as_of = first[0].recorded_at
        assert [r.payload["n"] for r in await store.read_stream("s-1", as_of=as_of)] == [1]
        assert await store.read_stream("s-1", as_of=as_of - timedelta(seconds=1)) == []

    async def test_read_all_in_position_order_across_streams(self, store: EventStore) -> None:
        await store.append("a", [event(1)], expected_version=0)
        await store.append("b", [event(2)], expected_version=0)
        await store.append("a", [event(3)], expected_version=1)
        everything = [r async for r in store.read_all()]
        assert [r.payload["n"] for r in everything] == [1, 2, 3]

    async def test_full_replay_keeps_each_stream_in_order_across_skewed_clocks(
        self, store: EventStore
    ) -> None:
        """Two writers on one log, one clock an hour behind the other, taking turns on the
        same streams: each stream's events replay in version order whatever the clocks."""
        hour_ms = 3_600_000
        ahead = EventStore(store.recorder, KEYS, positions=PositionClock(lambda: 2 * hour_ms))
        behind = EventStore(store.recorder, KEYS, positions=PositionClock(lambda: hour_ms))
        for n in range(6):
            writer = (ahead, behind)[n % 2]
            for offset, stream in enumerate(("a", "b")):
                await writer.append(stream, [event(10 * n + offset)], expected_version=n)
        replay = [r async for r in store.read_all()]
        assert [r.position for r in replay] == sorted(r.position for r in replay)
        for stream in ("a", "b"):
            assert [r.version for r in replay if r.stream_id == stream] == list(range(1, 7))

    async def test_a_full_replay_takes_no_cursor(self, store: EventStore) -> None:
        """Positions follow writers' clocks, so "after position P" could miss events."""
        assert list(inspect.signature(store.read_all).parameters) == []
        assert list(inspect.signature(store.recorder.read_all).parameters) == []

    async def test_long_streams_read_whole(self, store: EventStore) -> None:
        for start in range(0, 70, 10):
            await store.append("s-1", [event(n) for n in range(start, start + 10)], start)
        assert [r.version for r in await store.read_stream("s-1")] == list(range(1, 71))
        assert [r.version for r in await store.read_stream("s-1", from_version=60)] == list(
            range(60, 71)
        )
        assert await store.stream_version("s-1") == 70

    async def test_occurred_at_and_metadata_are_kept(self, store: EventStore) -> None:
        offline = NewEvent(
            event_type="Tested",
            schema_version=2,
            payload={"x": [1, "dua"]},
            occurred_at=T0,
            causation_id="cause",
            correlation_id="corr",
        )
        [stored] = await store.append("s-1", [offline], expected_version=0)
        [read] = await store.read_stream("s-1")
        assert read == stored
        assert (read.occurred_at, read.causation_id, read.correlation_id) == (T0, "cause", "corr")
        assert read.schema_version == 2

    # ---- guarding the log ------------------------------------------------------------------
    async def test_wrong_expected_version_is_a_concurrency_error(self, store: EventStore) -> None:
        await store.append("s-1", [event(1)], expected_version=0)
        with pytest.raises(ConcurrencyError) as stale:
            await store.append("s-1", [event(2)], expected_version=0)
        assert stale.value.actual_version == 1
        with pytest.raises(ConcurrencyError) as ahead:
            await store.append("s-1", [event(3)], expected_version=5)
        assert ahead.value.actual_version == 1
        assert [r.payload["n"] for r in await store.read_stream("s-1")] == [1]

    async def test_concurrent_appends_at_one_version_exactly_one_wins(
        self, store: EventStore
    ) -> None:
        await store.append("s-1", [event(0)], expected_version=0)
        results = await asyncio.gather(
            *(store.append("s-1", [event(n)], expected_version=1) for n in range(1, 21)),
            return_exceptions=True,
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(r, ConcurrencyError) for r in results if r not in winners)
        assert await store.stream_version("s-1") == 2
        assert (await store.verify("s-1")).ok

    async def test_same_events_again_are_a_no_op(self, store: EventStore) -> None:
        first = await store.append("s-1", [event(1), event(2)], expected_version=0)
        await store.append("s-1", [event(3)], expected_version=2)
        again = await store.append("s-1", [event(1), event(2)], expected_version=0)
        assert again == first
        assert await store.stream_version("s-1") == 3

    async def test_same_id_with_other_content_is_refused(self, store: EventStore) -> None:
        await store.append("s-1", [event(1)], expected_version=0)
        with pytest.raises(IdempotencyConflictError):
            await store.append("s-1", [event(1, changed=True)], expected_version=0)
        with pytest.raises(IdempotencyConflictError):
            await store.append("s-2", [event(1)], expected_version=0)
        assert [r.payload for r in await store.read_stream("s-1")] == [{"n": 1}]
        assert await store.read_stream("s-2") == []

    async def test_retry_of_a_partly_stored_batch_completes_it(self, store: EventStore) -> None:
        await store.append("s-1", [event(1)], expected_version=0)
        records = await store.append("s-1", [event(1), event(2)], expected_version=0)
        assert [(r.event_id, r.version) for r in records] == [("evt-1", 1), ("evt-2", 2)]
        assert (await store.verify("s-1")).ok

    async def test_bad_calls_change_nothing(self, store: EventStore) -> None:
        with pytest.raises(ValueError, match="nothing to append"):
            await store.append("s-1", [], expected_version=0)
        with pytest.raises(ValueError, match="twice"):
            await store.append("s-1", [event(1), event(1)], expected_version=0)
        with pytest.raises(ValueError, match="stream id"):
            await store.append("", [event(1)], expected_version=0)
        with pytest.raises(ValueError, match="stream id"):
            await store.append('{"$gt": ""}', [event(1)], expected_version=0)
        assert [r async for r in store.read_all()] == []
        assert await store.pending() == []

    # ---- the outbox -----------------------------------------------------------------------
    async def test_appended_events_wait_in_the_outbox_until_cleared(
        self, store: EventStore
    ) -> None:
        records = await store.append("s-1", [event(1), event(2), event(3)], expected_version=0)
        assert await store.pending(limit=2) == records[:2]
        assert await store.settle(records, GRACE) == [Settled.STORED] * 3
        await store.clear_pending([records[0].position])
        assert [r.event_id for r in await store.pending()] == ["evt-2", "evt-3"]
        await store.clear_pending([r.position for r in records] + [999_999])
        assert await store.pending() == []
        assert await store.read_stream("s-1") == records  # the log itself is untouched
        assert (await store.verify()).ok

    async def test_losing_and_repeated_appends_leave_no_entry(self, store: EventStore) -> None:
        await store.append("s-1", [event(1)], expected_version=0)
        with pytest.raises(ConcurrencyError):
            await store.append("s-1", [event(2)], expected_version=0)
        await store.append("s-1", [event(1)], expected_version=0)  # an idempotent repeat
        assert [r.event_id for r in await store.pending()] == ["evt-1"]

    async def test_settling_completes_an_append_whose_writer_died(self, store: EventStore) -> None:
        await store.append("s-1", [event(1)], expected_version=0)
        [entry] = await store.pending()
        orphan = entry.model_copy(
            update={
                "event_id": "orphan",
                "version": 2,
                "position": entry.position + 1,
                "prev_hash": entry.hash,
            }
        )
        orphan = orphan.model_copy(update={"hash": KEYS.seal(orphan.model_dump())})
        loser = orphan.model_copy(update={"event_id": "loser", "position": entry.position + 2})
        assert await store.settle([orphan], timedelta(days=365)) == [Settled.IN_FLIGHT]
        assert await store.settle([orphan, loser], timedelta(0)) == [Settled.STORED, Settled.VOID]
        assert [r.event_id for r in await store.read_stream("s-1")] == ["evt-1", "orphan"]
        assert (await store.verify()).ok

    async def test_settling_never_links_an_orphan_to_a_foreign_predecessor(
        self, store: EventStore
    ) -> None:
        """A writer wrote ahead a two-event append and died; another writer took the first
        slot. The second entry names a predecessor that lost: it is voided, not inserted."""
        dead = seal_events(KEYS, "s-1", [event(1), event(2)], 0, GENESIS_HASH, 10, T0)
        await store.recorder.write_ahead([to_document(r) for r in dead])
        [winner] = await store.append("s-1", [event(3)], expected_version=0)
        entries = [e for e in await store.pending() if e.event_id != winner.event_id]
        assert await store.settle(entries, timedelta(0)) == [Settled.VOID, Settled.VOID]
        assert await store.read_stream("s-1") == [winner]
        assert (await store.verify()).ok

    async def test_settling_completes_a_whole_append_whose_writer_died(
        self, store: EventStore
    ) -> None:
        dead = seal_events(KEYS, "s-1", [event(1), event(2)], 0, GENESIS_HASH, 10, T0)
        await store.recorder.write_ahead([to_document(r) for r in dead])
        assert await store.settle(dead, timedelta(0)) == [Settled.STORED, Settled.STORED]
        assert await store.read_stream("s-1") == dead
        assert (await store.verify()).ok

    # ---- tamper evidence -------------------------------------------------------------------
    async def _three(self, store: EventStore) -> list[Any]:
        await store.append("other", [event(100)], expected_version=0)
        return await store.append("s-1", [event(1), event(2), event(3)], expected_version=0)

    async def test_untouched_store_verifies(self, store: EventStore) -> None:
        await self._three(store)
        report = await store.verify()
        assert report.ok
        assert (report.streams_checked, report.events_checked) == (2, 4)

    async def test_edited_payload_is_found(self, store: EventStore) -> None:
        records = await self._three(store)
        await self.tamper_update(store, key(records[1]), {"payload": {"n": 999}})
        report = await store.verify()
        assert report.first_break is not None
        assert (report.first_break.stream_id, report.first_break.version) == ("s-1", 2)
        assert report.first_break.kind == "edited"
        assert len(report.breaks) == 1  # the other stream is intact

    async def test_deleted_event_is_found(self, store: EventStore) -> None:
        records = await self._three(store)
        await self.tamper_delete(store, key(records[1]))
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (2, "missing")

    async def test_forged_event_appended_without_the_key_is_found(self, store: EventStore) -> None:
        records = await self._three(store)
        forger = ChainKeys.single("test", "the-forgers-own-key-xxxxxxxxx")
        forged: Document = {
            **records[2].model_dump(),
            "event_id": "forged",
            "version": 4,
            "position": 10_000,
            "payload": {"n": 4},
            "prev_hash": records[2].hash,
        }
        forged["hash"] = forger.seal(forged)
        forged["_id"] = event_key("s-1", 4)
        await self.tamper_insert(store, forged)
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (4, "edited")

    async def test_swapped_versions_are_found(self, store: EventStore) -> None:
        records = await self._three(store)
        await self.tamper_update(store, key(records[0]), {"version": 99})
        await self.tamper_update(store, key(records[1]), {"version": 1})
        await self.tamper_update(store, key(records[0]), {"version": 2})
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (1, "reordered")

    async def test_forged_event_pushed_into_the_middle_is_found(self, store: EventStore) -> None:
        records = await self._three(store)
        for record in reversed(records[1:]):  # move versions 2 and 3 up by one
            await self.tamper_delete(store, key(record))
            moved = {**record.model_dump(), "version": record.version + 1}
            await self.tamper_insert(store, {**moved, "_id": event_key("s-1", record.version + 1)})
        forged = {
            **records[1].model_dump(),
            "event_id": "forged",
            "payload": {"n": 666},
            "position": 99_999,
            "hash": "f" * 64,
        }
        await self.tamper_insert(store, {**forged, "_id": event_key("s-1", 2)})
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (2, "inserted")

    async def test_events_swapped_between_keys_are_found_and_refused(
        self, store: EventStore
    ) -> None:
        """Readers find events by key, verify walks their fields: a swap of keys alone must
        show in both (a rejected request must not read as submitted)."""
        records = await self._three(store)
        first, second = records[0], records[1]
        await self.tamper_delete(store, key(first))
        await self.tamper_delete(store, key(second))
        await self.tamper_insert(store, {**first.model_dump(), "_id": key(second)})
        await self.tamper_insert(store, {**second.model_dump(), "_id": key(first)})
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (1, "misplaced")
        store.streams.forget("s-1")  # as a process that has not read the stream before
        with pytest.raises(EventStoreError, match="is not it"):
            await store.read_stream("s-1")

    async def test_relinked_event_is_found(self, store: EventStore) -> None:
        records = await self._three(store)
        await self.tamper_update(store, key(records[2]), {"prev_hash": GENESIS_HASH})
        brk = (await store.verify("s-1")).first_break
        assert brk is not None
        assert (brk.version, brk.kind) == (3, "edited")
