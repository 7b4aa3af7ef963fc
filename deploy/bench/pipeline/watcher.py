"""Watches the events topic (its own consumer group, from the end of the topic) and notes,
for this run's requests, when each was decided and how many events it produced.

Relay messages carry `event_type`, `event_id` and `correlation_id` headers (the request
id for everything that follows a submission); the body is read only when they are missing
or do not name one of this run's requests.

Cheap, as it shares the load generator's process: fetches wait for up to a megabyte or
half a second (each fetch round trip costs the consumer ~1 ms of CPU, so fetching as soon
as anything arrives would cost more than the records themselves, ~10 µs each), and a
decision's time is its record's timestamp (the relay's producer stamps it with the
wall-clock time it was published), not when the watcher happened to read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]

from shared.domain.events import Decision
from shared.domain.request_ids import as_sent
from shared.messaging.topics import TopicPlan, TopicSpec, ensure_topics

DECISIONS = frozenset(cls.event_type for cls in Decision.__subclasses__())


class EventWatcher:
    def __init__(self, bootstrap: str, topic: str, group_id: str, request_prefix: str) -> None:
        self.topic = topic
        self.prefix = request_prefix
        self.decided_at: dict[str, float] = {}  # request id -> first decision seen
        self.decisions: Counter[str] = Counter()  # by event type
        self.events: Counter[str] = Counter()  # request id -> distinct events
        self.messages = 0
        self.repeats = 0  # an event id seen before (published twice)
        self._seen: set[str] = set()
        self._consumer: Any = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            client_id=group_id,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            fetch_max_wait_ms=500,
            fetch_min_bytes=1 << 20,
            max_poll_records=250,  # records handled per turn of the loop: the sender waits
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self, limit: float = 60.0) -> None:
        """Join, get partitions and fix their offsets at the end before any load is sent."""
        await self._consumer.start()
        deadline = time.monotonic() + limit
        while not self._consumer.assignment():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no partitions of {self.topic} assigned in {limit:.0f}s")
            await self._consumer.getmany(timeout_ms=200)  # drives the group join
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._run())

    def partitions(self) -> int:
        return len(self._consumer.partitions_for_topic(self.topic) or ())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000)
            now = time.time()  # the clock of the load generator and the SMTP sink
            for records in batches.values():
                for record in records:
                    # CreateTime (0) or LogAppendTime (1), in ms: when it was published
                    at = record.timestamp / 1000 if record.timestamp_type in (0, 1) else now
                    self._note(record.value, dict(record.headers or ()), min(at, now))

    def _note(self, value: bytes, headers: dict[str, bytes], at: float) -> None:
        self.messages += 1
        event_type = headers.get("event_type", b"").decode()
        event_id = headers.get("event_id", b"").decode()
        request_id = as_sent(headers.get("correlation_id", b"").decode())  # scoped: the sender's
        ours = request_id.startswith(self.prefix)
        if not (event_type and event_id and request_id) or (event_type in DECISIONS and not ours):
            event_type, event_id, request_id = _from_body(value)
        if not request_id.startswith(self.prefix):
            return
        if event_id in self._seen:
            self.repeats += 1
            return
        self._seen.add(event_id)
        self.events[request_id] += 1
        if event_type in DECISIONS:
            self.decisions[event_type] += 1
            self.decided_at.setdefault(request_id, at)


def _from_body(value: bytes) -> tuple[str, str, str]:
    try:
        event = json.loads(value)
        payload = event.get("payload") or {}
        request_id = payload.get("request_id") or event.get("correlation_id") or ""
        request_id = as_sent(str(request_id))  # scoped by the sender: the id the bench sent
        return str(event.get("event_type", "")), str(event.get("event_id", "")), request_id
    except (ValueError, AttributeError):
        return "", "", ""


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """The run's own events topic, made before any process subscribes to it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jemput-bench")
    await admin.start()
    try:
        spec = TopicSpec(name=topic, partitions=partitions)
        await ensure_topics(admin, TopicPlan(replication_factor=1, topics=[spec]))
    finally:
        await admin.close()


async def delete_topic(bootstrap: str, topic: str) -> None:
    """Best effort: a run's topic left behind costs disk, not correctness."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jemput-bench")
    try:
        await admin.start()
        await admin.delete_topics([topic])
    except Exception as exc:  # reported; the run's results stand
        print(f"bench: topic {topic} not deleted: {type(exc).__name__}")
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
