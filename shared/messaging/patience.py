"""Waiting out a store outage in place, the one way every consumer does it (ADR 7).

A store that cannot be reached is not the message's fault: the step is tried again after
jittered, growing pauses (stamina), so that consumers do not all come back at the same
moment when the store does, until `limit` seconds have passed; then the outage is raised
and the batch is delivered again. Any other error is raised at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina

from shared.eventstore.errors import store_unavailable

T = TypeVar("T")


async def while_store_away(
    step: Callable[[], Awaitable[T]],
    *,
    first: float,
    longest: float,
    limit: float,
    retrying: Callable[[int], object] | None = None,
) -> T:
    """Run `step`; while the store is away, again. `retrying(attempt)` is told of each
    attempt after the first (for metrics and logs)."""
    # The first try outside stamina: nearly every step succeeds at once, and a retry
    # context per step was a fifth of the dashboard's CPU (docs/bench).
    try:
        return await step()
    except Exception as exc:
        if not store_unavailable(exc):
            raise
    if retrying is not None:
        retrying(2)
    attempts = stamina.retry_context(
        on=store_unavailable,
        attempts=None,
        timeout=limit,
        wait_initial=first,
        wait_max=longest,
        wait_jitter=first,
    )
    async for attempt in attempts:
        with attempt:
            if attempt.num > 1 and retrying is not None:
                retrying(attempt.num + 1)
            return await step()
    raise AssertionError("stamina retries until it raises")  # pragma: no cover
