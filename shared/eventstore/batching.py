"""Group commit: concurrent calls coalesced into one command to the store.

Each store command costs about a millisecond of server CPU on FerretDB, whatever it
carries, so the number of commands per request is what limits throughput. A `Batcher`
sends the first call at once (no timer, so no added latency when idle); calls that arrive
while that command is in flight queue up and go together in the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R]]],
        max_weight: int,
        weight: Callable[[T], int] = lambda _: 1,
    ) -> None:
        self._flush = flush
        self._max_weight = max_weight
        self._weight = weight
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        taken, weight = 0, 0
        for item, _ in self._queue:
            weight += self._weight(item)
            if taken and weight > self._max_weight:
                break
            taken += 1
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    async def _drain(self) -> None:
        while self._queue:
            batch = self._take()
            try:
                results = await self._flush([item for item, _ in batch])
            except BaseException as exc:  # every caller in the batch hears of it
                for _, future in batch:
                    if future.done():
                        continue
                    if isinstance(exc, Exception):
                        future.set_exception(exc)
                    else:
                        future.cancel()
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # a caller may have been cancelled meanwhile
                    future.set_result(result)
