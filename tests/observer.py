"""Watch a Kafka topic from a test: everything published to it, from the beginning."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from faststream import AckPolicy

from shared.messaging.kafka import make_broker


@asynccontextmanager
async def collecting(bootstrap: str, topic: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The JSON messages on `topic` (give each test a topic of its own), as they arrive."""
    seen: list[dict[str, Any]] = []
    broker = make_broker(bootstrap, "test-observer")

    @broker.subscriber(
        topic,
        group_id=f"observer-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
    )
    async def collect(entry: dict[str, Any]) -> None:
        seen.append(entry)

    async with broker:
        await broker.start()
        yield seen
