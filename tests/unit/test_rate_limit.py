"""The shared-store rate limit: at most `limit` hits per client and window, whoever asks
and however many processes count; a client over its limit costs the store nothing."""

from __future__ import annotations

import asyncio

import pytest

from shared.web.rate_limit import InMemorySlotStore, RateLimiter, client_key, peer_address


class CountingStore(InMemorySlotStore):
    def __init__(self) -> None:
        super().__init__()
        self.claims = 0

    async def claim(self, slot_id: str, expires: float) -> bool:
        self.claims += 1
        await asyncio.sleep(0)  # let other callers interleave, as a real store would
        return await super().claim(slot_id, expires)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_at_most_the_limit_per_window_across_processes() -> None:
    store, clock = CountingStore(), Clock(1_000_040.0)
    processes = [RateLimiter(store, 5, 60, clock) for _ in range(3)]
    verdicts = await asyncio.gather(*(processes[i % 3].hit("client-a") for i in range(40)))
    assert sum(v.allowed for v in verdicts) == 5
    refused = [v for v in verdicts if not v.allowed]
    assert {v.retry_after for v in refused} == {40}  # seconds left in the minute
    other = await processes[0].hit("client-b")
    assert other.allowed  # one client's guessing does not lock out another


async def test_a_client_over_its_limit_costs_the_store_nothing_more() -> None:
    store, clock = CountingStore(), Clock(60.0)
    limiter = RateLimiter(store, 3, 60, clock)
    for _ in range(3):
        assert (await limiter.hit("c")).allowed
    before = store.claims
    for _ in range(300):
        assert not (await limiter.hit("c")).allowed
    assert store.claims - before == 0


async def test_a_new_window_allows_again_and_old_slots_are_swept() -> None:
    store, clock = CountingStore(), Clock(60.0)
    limiter = RateLimiter(store, 2, 60, clock)
    assert [(await limiter.hit("c")).allowed for _ in range(3)] == [True, True, False]
    clock.now = 125.0
    assert (await limiter.hit("c")).allowed
    clock.now = 185.0
    await limiter.hit("c")
    assert all(slot.split("|")[1] in ("2", "3") for slot in store.slots)


def test_a_limit_needs_a_size() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        RateLimiter(InMemorySlotStore(), 0, 60)


def test_only_a_trusted_proxy_names_the_client() -> None:
    proxies = frozenset({"10.0.0.5"})
    assert peer_address("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9"
    assert peer_address("10.0.0.5", "198.51.100.1", proxies) == "198.51.100.1"
    # The client wrote the left-most entry itself: the right-most untrusted one counts.
    assert peer_address("10.0.0.5", "1.2.3.4, 198.51.100.1, 10.0.0.5", proxies) == "198.51.100.1"
    assert peer_address("10.0.0.5", None, proxies) == "10.0.0.5"
    assert peer_address(None, "1.2.3.4", proxies) == "unknown"


def test_the_store_never_holds_an_address() -> None:
    key = client_key(b"secret", "203.0.113.9")
    assert "203" not in key
    assert key == client_key(b"secret", "203.0.113.9") != client_key(b"other", "203.0.113.9")
