"""The in-memory service tier for each test (tier.py): fresh store, broker and fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.service_tier.tier import ServiceTier, service_tier


@pytest.fixture
async def tier() -> AsyncIterator[ServiceTier]:
    async with service_tier() as running:
        yield running
        assert running.feed.errors == [], "a handler failed"
