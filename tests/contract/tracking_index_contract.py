"""One behaviour, every tracking index: subclasses supply an `index` fixture (empty)."""

from __future__ import annotations

import asyncio

import pytest

from shared.repositories.tracking import (
    Tracked,
    TrackingConflictError,
    TrackingIndex,
    tracking_code,
)

KEY = b"contract-tracking-key-0123456789"
CODE = tracking_code(KEY, "request-0001")
TRACKED = Tracked(stream_id="stream-1", request_id="request-0001")


class TrackingIndexContract:
    async def test_an_added_code_is_found(self, index: TrackingIndex) -> None:
        await index.add(CODE, TRACKED)
        assert await index.find(CODE) == TRACKED
        assert await index.find(tracking_code(KEY, "request-0002")) is None

    async def test_adding_the_same_again_is_a_no_op(self, index: TrackingIndex) -> None:
        await index.add(CODE, TRACKED)
        await index.add(CODE, TRACKED)
        assert await index.find(CODE) == TRACKED

    async def test_a_code_taken_by_another_request_is_refused(self, index: TrackingIndex) -> None:
        await index.add(CODE, TRACKED)
        with pytest.raises(TrackingConflictError):
            await index.add(CODE, Tracked(stream_id="stream-2", request_id="request-0001"))
        with pytest.raises(TrackingConflictError):
            await index.add(CODE, Tracked(stream_id="stream-1", request_id="request-0009"))
        assert await index.find(CODE) == TRACKED

    async def test_concurrent_adds_of_one_code_exactly_one_wins(self, index: TrackingIndex) -> None:
        claims = [Tracked(stream_id=f"stream-{n}", request_id="request-0001") for n in range(10)]
        results = await asyncio.gather(
            *(index.add(CODE, tracked) for tracked in claims), return_exceptions=True
        )
        winners = [t for t, r in zip(claims, results, strict=True) if r is None]
        assert len(winners) == 1
        assert all(isinstance(r, TrackingConflictError) for r in results if r is not None)
        assert await index.find(CODE) == winners[0]

    async def test_concurrent_adds_of_many_codes_all_land(self, index: TrackingIndex) -> None:
        codes = {
            tracking_code(KEY, f"request-{n:04}"): Tracked(f"stream-{n}", f"request-{n:04}")
            for n in range(50)
        }
        await asyncio.gather(*(index.add(code, tracked) for code, tracked in codes.items()))
        for code, tracked in codes.items():
            assert await index.find(code) == tracked
