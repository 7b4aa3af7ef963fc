"""The "poison and forged messages under load" fault: for a while, a writer to the topics
publishes what an attacker (or a broken producer) would, beside the drill's real load:

- forged events linked to real streams' heads, without a seal: a withdrawal and a
  rejection of a real request, a review for a verified one;
- real, sealed events published again (replays: a decision already told);
- poison: personal data under a policy nobody has, JSON that is not an event, JSON
  nested 100,000 deep (on the events topic and on the intake topic).

Nothing of it may change a request or send a message: the checker finds any email sent
twice for a tracking code, and every dead letter must carry one of the reasons below.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # type: ignore[import-untyped]

# What each consumer may say of what this fault sends, and nothing else.
EXPECTED_REASONS = {
    "intake": {"invalid"},
    "verification": {"unsealed", "not_an_event", "not_in_log"},
    "notification": {"unsealed", "not_an_event", "not_in_log"},
    "dashboard": {"unsealed", "not_an_event"},  # it trusts a valid seal: no not_in_log
}
DEEP = b"[" * 100_000 + b"]" * 100_000


async def everything_on(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every JSON message on the topic, from its start to its end now (none if no topic).

    Subscribed without a group: the consumer is given all the topic's partitions once it
    has their metadata (a `topics()` answer does not update it), then reads to the ends."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            return []
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no partitions of {topic} were assigned in 30 s")
            seen.extend(await _some(consumer))
        parts = list(consumer.assignment())
        ends = await consumer.end_offsets(parts)
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            seen.extend(await _some(consumer))
        return seen
    finally:
        await consumer.stop()


async def _some(consumer: AIOKafkaConsumer) -> list[dict[str, Any]]:
    batch = await consumer.getmany(timeout_ms=500, max_records=1000)
    return [_json(r.value) for records in batch.values() for r in records]


def _json(value: bytes | None) -> dict[str, Any]:
    try:
        decoded = json.loads(value or b"")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def forged(real: dict[str, Any], kind: str, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            **real,
            "event_id": str(uuid.uuid4()),
            "event_type": kind,
            "schema_version": 1,
            "payload": payload,
            "version": real["version"] + 1,
            "prev_hash": real["hash"],
            "hash": "0" * 64,
        }
    ).encode()


def messages(real: dict[str, Any]) -> list[tuple[str, bytes]]:
    """What one round sends about one real event, by kind."""
    request = real["payload"].get("request_id", "x")
    return [
        ("forged_withdrawal", forged(real, "RequestWithdrawn", {"request_id": request})),
        ("forged_rejection", forged(real, "RequestRejected", {"request_id": request})),
        ("forged_review", forged(real, "ManualReviewRequired", {"request_id": request})),
        ("unknown_policy", forged(real, "RequestSubmitted", {"personal_data": {"policy": "x"}})),
        ("replay", json.dumps(real).encode()),
        ("not_an_event", b"\x00\xff not json"),
        ("nested_deep", DEEP),
    ]


async def inject(
    bootstrap: str, events_topic: str, intake_topic: str, seconds: float, rate: float
) -> dict[str, int]:
    """Publish poison and forgeries at about `rate` messages a second for `seconds`."""
    real = [e for e in (await everything_on(bootstrap, events_topic))[-400:] if "hash" in e]
    if not real:
        raise RuntimeError("no events on the topic to forge from")
    sent: Counter[str] = Counter()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2_000_000)
    await producer.start()
    try:
        started, i = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            event = real[i % len(real)]
            for kind, body in messages(event):
                await producer.send_and_wait(events_topic, body, key=event["stream_id"].encode())
                sent[kind] += 1
            await producer.send_and_wait(intake_topic, DEEP, key=b"poison")
            sent["intake_nested_deep"] += 1
            i += 1
            await asyncio.sleep(8 / rate)  # a round is 8 messages
    finally:
        await producer.stop()
    return dict(sent)
