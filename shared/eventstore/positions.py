"""Global positions drawn from the clock, without a shared counter.

A position orders events across streams (`read_all` replays in position order). A
counter document would cost a command per commit and, on FerretDB, hand the same numbers
to two processes (its findAndModify `$inc` is not atomic). So each process draws
positions from its own clock instead:

    milliseconds since 1970 << 20  |  slot << 10  |  sequence

The slot is random per process (1,024 of them), the sequence counts within a millisecond
(it may run on into later milliseconds' numbers, never back). Within a process positions
only grow; across processes they follow the clock. Two processes that draw the same slot
can clash: the outbox's unique key on position catches it, and the loser draws a new slot.
A stream's next event is always placed after its head's position, whatever the clocks say.

So positions order each stream, and a full replay (`read_all`) gives every stream's
events in version order; they are not a cursor: a process whose clock is behind stores,
later, events with smaller positions than some already read, so "everything after P"
would miss them. `read_all` takes no cursor for that reason.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

SLOT_BITS = 10
SEQUENCE_BITS = 10


class PositionClock:
    def __init__(self, now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self._now_ms = now_ms
        self._slot = random.randrange(1 << SLOT_BITS)  # noqa: S311 (spreads, not secret)
        self._last = 0

    def reserve(self, count: int, after: int = 0) -> int:
        """The first of `count` consecutive positions, all above `after` and above any
        this clock gave before."""
        base = (self._now_ms() << (SLOT_BITS + SEQUENCE_BITS)) | (self._slot << SEQUENCE_BITS)
        first = max(base, self._last + 1, after + 1)
        self._last = first + count - 1
        return first

    def redraw(self) -> None:
        """Move to another slot, after a clash with a process on the same one."""
        self._slot = random.randrange(1 << SLOT_BITS)  # noqa: S311 (spreads, not secret)
