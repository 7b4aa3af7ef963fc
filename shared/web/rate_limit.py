"""A per-client rate limit that every instance of a service agrees on, on MongoDB and on
FerretDB alike (docs/adr/0011-rate-limits-on-a-shared-store.md says why and what was
measured).

Fixed windows of `period` seconds, each with `limit` slots. A hit is allowed when it
claims a free slot: an insert of the document `_id = "<client>|<window>|<slot>"`. `_id` is
unique on every MongoDB-wire store, and an insert is atomic on each, so at most `limit`
hits per client and window succeed however many callers and instances race; nothing
reads, increments or expires a counter (FerretDB's findAndModify `$inc` loses updates and
it has no TTL indexes). Each process remembers the next slot to try and which clients
are full for the window, so a client over its limit costs the store nothing more.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


class SlotStore(Protocol):
    async def claim(self, slot_id: str, expires: float) -> bool:
        """Take the slot if free (True); False if someone has it."""

    async def sweep(self, now: float) -> None:
        """Forget slots that expired before `now`."""


class MongoSlotStore:
    """Slots as documents in one collection (no index but `_id`'s)."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._slots = collection

    async def claim(self, slot_id: str, expires: float) -> bool:
        try:
            await self._slots.insert_one({"_id": slot_id, "expires": expires})
        except DuplicateKeyError:
            return False
        return True

    async def sweep(self, now: float) -> None:
        await self._slots.delete_many({"expires": {"$lt": now}})


class InMemorySlotStore:
    """For the in-memory tier and unit tests."""

    def __init__(self) -> None:
        self.slots: dict[str, float] = {}

    async def claim(self, slot_id: str, expires: float) -> bool:
        if slot_id in self.slots:
            return False
        self.slots[slot_id] = expires
        return True

    async def sweep(self, now: float) -> None:
        self.slots = {k: v for k, v in self.slots.items() if v >= now}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


class RateLimiter:
    """`limit` hits per client per `period` seconds, shared through a `SlotStore`."""

    def __init__(
        self,
        store: SlotStore,
        limit: int,
        period: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or period < 1:
            raise ValueError("a rate limit needs limit >= 1 and period >= 1")
        self._store, self.limit, self.period, self._clock = store, limit, period, clock
        self._window = -1
        self._next_slot: dict[str, int] = {}  # this window only: the next slot to try
        self._locks: dict[str, asyncio.Lock] = {}
        self._swept_window = -1

    async def hit(self, client: str) -> Verdict:
        now = self._clock()
        window = int(now // self.period)
        ends = (window + 1) * self.period
        if window != self._window:  # a new window: what we knew of the last one is moot
            self._window, self._next_slot, self._locks = window, {}, {}
        if self._swept_window < window:  # once a window per process, slots of the past go
            self._swept_window = window
            await self._store.sweep(now - self.period)
        if self._next_slot.get(client, 0) < self.limit:
            # One claimant per client in this process: a burst of a client's requests
            # waits here instead of each racing through the slots (measured on FerretDB:
            # 300 at once exhausted the connection pool).
            async with self._locks.setdefault(client, asyncio.Lock()):
                slot = self._next_slot.get(client, 0)
                while slot < self.limit:
                    taken = await self._store.claim(f"{client}|{window}|{slot}", ends)
                    slot += 1
                    if self._window == window:
                        self._next_slot[client] = slot
                    if taken:
                        return Verdict(True, 0)
        return Verdict(False, max(1, math.ceil(ends - now)))


def client_key(secret: bytes, address: str) -> str:
    """A client's address as a keyed hash: the store never holds an IP address."""
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:24]


def peer_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: frozenset[str]
) -> str:
    """The client's address: the peer's, unless the peer is a proxy we trust, in which case
    the right-most address in X-Forwarded-For that is not one of our proxies (the entries
    to its left were written by the client and prove nothing)."""
    address = peer or "unknown"
    if address not in trusted_proxies or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if hop and hop not in trusted_proxies:
            return hop
    return address
