"""Dead letters for people: list them (no body), show one's body (with the keys, recorded
in the access log), replay one to the topic it came from after a fix."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]

from shared.privacy.dead_letters import opened_body
from shared.privacy.personal_data import PersonalData


async def read_dead_letters(
    bootstrap: str, topic: str, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Every dead letter on `topic`, oldest first (a consumer without a group: no offsets)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    await consumer.start()
    entries: list[dict[str, Any]] = []
    try:
        while len(entries) < limit:
            batches = await consumer.getmany(timeout_ms=1500)
            if not batches:
                break
            for batch in batches.values():
                for message in batch:
                    try:
                        entries.append(json.loads(message.value))
                    except ValueError:
                        continue  # not a dead letter of ours
    finally:
        await consumer.stop()
    return entries


def listed(entry: dict[str, Any]) -> dict[str, Any]:
    """What anyone on the operations side may see: no body."""
    return {k: v for k, v in entry.items() if k != "body"}


async def body_of(personal: PersonalData, entry: dict[str, Any]) -> str | None:
    return await opened_body(personal, entry)


async def replay(bootstrap: str, entry: dict[str, Any], body: str) -> None:
    """Publish the body again to the topic it was read from."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(str(entry["source"]["topic"]), body.encode())
    finally:
        await producer.stop()
