"""A group commit's failure reaches every caller in it, and the next commit goes on: one
store command carries many callers' appends, so none may be left waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.recorder import Document
from shared.eventstore.store import EventStore
from tests.contract.event_store_contract import event


class FailingRecorder(InMemoryRecorder):
    """Fails the chosen step of the first commit (the store went away, and came back);
    each step waits for `gate`, so appends that arrive meanwhile queue up for the next."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step
        self.failures_left = 1
        self.commits = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def _maybe_fail(self, step: str) -> None:
        await self.gate.wait()
        if self.failures_left and step == self.step:
            self.failures_left -= 1
            raise ConnectionError("the store is unavailable")

    async def write_ahead(self, docs: Sequence[Document]) -> None:
        self.commits += 1
        await self._maybe_fail("write_ahead")
        await super().write_ahead(docs)

    async def insert(self, docs: Sequence[Document]) -> None:
        await self._maybe_fail("insert")
        await super().insert(docs)


@pytest.mark.parametrize("step", ["write_ahead", "insert"])
async def test_one_failing_commit_fails_every_waiter_and_the_next_goes_on(
    chain_keys: ChainKeys, step: str
) -> None:
    recorder = FailingRecorder(step)
    store = EventStore(recorder, chain_keys)
    appends = [store.append(f"s-{n}", [event(n)], expected_version=0) for n in range(6)]
    results = await asyncio.wait_for(asyncio.gather(*appends, return_exceptions=True), 10)
    assert [type(r) for r in results] == [ConnectionError] * 6
    assert recorder.commits == 1  # one commit carried them all
    [stored] = await asyncio.wait_for(store.append("s-0", [event(0)], expected_version=0), 10)
    assert stored.version == 1
    assert (await store.verify()).ok


async def test_a_failure_reaches_only_its_own_commit(chain_keys: ChainKeys) -> None:
    """Appends that queued while a failing commit was in flight go in the next one."""
    recorder = FailingRecorder("write_ahead")
    store = EventStore(recorder, chain_keys)
    recorder.gate.clear()
    first = asyncio.ensure_future(store.append("a", [event(1)], expected_version=0))
    await asyncio.sleep(0)  # the first commit is under way, held at the gate
    later = [
        asyncio.ensure_future(store.append(f"b-{n}", [event(10 + n)], expected_version=0))
        for n in range(3)
    ]
    await asyncio.sleep(0)
    recorder.gate.set()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(first, 10)
    stored = await asyncio.wait_for(asyncio.gather(*later), 10)
    assert [records[0].version for records in stored] == [1, 1, 1]
    assert recorder.commits == 2
