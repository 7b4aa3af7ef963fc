"""The stream cache takes an event seen on Kafka only if it is the next link of what it
holds, sealed with the chain key: anyone who can write to a topic could send one."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.event_schema.base import RecordedEvent
from shared.eventstore.chain import GENESIS_HASH
from shared.eventstore.group_commit import seal_events
from shared.eventstore.stream_cache import StreamCache
from tests.contract.event_store_contract import KEYS, event

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def stream(*numbers: int, prev_hash: str = GENESIS_HASH, after: int = 0) -> list[RecordedEvent]:
    events = [event(n) for n in numbers]
    return seal_events(KEYS, "s-1", events, after, prev_hash, 100 + after, T0)


def test_the_next_sealed_link_is_taken() -> None:
    cache = StreamCache(KEYS, max_streams=10)
    first, second = stream(1, 2)
    assert cache.offer(first)
    assert cache.offer(second)
    assert cache.get("s-1") == [first, second]
    assert cache.offer(first)  # held already, as it is: nothing changes
    assert cache.get("s-1") == [first, second]


def test_an_event_whose_seal_does_not_check_is_refused() -> None:
    cache = StreamCache(KEYS, max_streams=10)
    [genuine] = stream(1)
    edited = genuine.model_copy(update={"payload": {"n": 1, "forged": True}})
    assert not cache.offer(edited)
    assert cache.get("s-1") == []
    assert cache.offer(genuine)


def test_an_event_linked_to_another_predecessor_is_refused() -> None:
    cache = StreamCache(KEYS, max_streams=10)
    [first] = stream(1)
    assert cache.offer(first)
    [fork] = stream(2, prev_hash="f" * 64, after=1)  # sealed, but after an event we lack
    assert not cache.offer(fork)
    [skipping] = stream(3, prev_hash=first.hash, after=2)  # version 3 after version 1
    assert not cache.offer(skipping)
    assert cache.get("s-1") == [first]


def test_an_older_version_replayed_with_other_content_is_refused() -> None:
    cache = StreamCache(KEYS, max_streams=10)
    first, second = stream(1, 2)
    assert cache.offer(first)
    assert cache.offer(second)
    [other_first] = stream(9)  # a version 1 of the same stream, validly sealed, not ours
    assert not cache.offer(other_first)
    assert cache.get("s-1") == [first, second]
