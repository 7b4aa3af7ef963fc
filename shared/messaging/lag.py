"""Consumer lag, per group and partition, and dead letters per topic, as Prometheus
gauges: what operators of a Kafka system look at first.

Lag is the end offset of each partition less what the group committed there (a group that
committed nothing yet lags by all the partition holds). Dead letters are counted from the
dead-letter topics themselves (the sum of their end offsets: every message ever written,
whoever wrote it), so a producer that forgets its own counter is still seen. The relay
runs one exporter for the whole installation (services/relay/bootstrap.py): one pod, so
each series comes once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

LAG = Gauge(
    "jemput_consumer_lag",
    "Messages on a partition that a consumer group has not committed yet",
    ["group", "topic", "partition"],
)
DEAD_LETTERS_WRITTEN = Gauge(
    "jemput_dead_letters_written",
    "Messages ever written to a dead-letter topic (the sum of its partitions' end offsets)",
    ["topic"],
)
LOOKED = Gauge("jemput_consumer_lag_timestamp_seconds", "When lag was last measured")
LOOK_FAILURES = Counter(
    "jemput_consumer_lag_failures_total", "Lag measurements that failed", ["error"]
)


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    lag: int


class LagExporter:
    def __init__(
        self,
        bootstrap: str,
        groups: Mapping[str, str],
        dead_letter_topics: Sequence[str],
    ) -> None:
        """`groups`: consumer group -> the topic it reads."""
        self._groups = dict(groups)
        self._dead_letter_topics = list(dead_letter_topics)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jemput-lag")
        self._offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, client_id="jemput-lag")

    async def start(self) -> None:
        await self._admin.start()
        await self._offsets.start()

    async def stop(self) -> None:
        await self._offsets.stop()
        await self._admin.close()

    async def _partitions(self, topics: set[str]) -> list[TopicPartition]:
        described = await self._admin.describe_topics(sorted(topics))
        return [
            TopicPartition(d["topic"], p["partition"])
            for d in described
            if d.get("error_code", 0) == 0  # a topic not made yet has nothing to lag on
            for p in d["partitions"]
        ]

    async def look(self) -> list[PartitionLag]:
        """Measure once; sets the gauges and returns the lags."""
        partitions = await self._partitions(
            set(self._groups.values()) | set(self._dead_letter_topics)
        )
        ends: dict[TopicPartition, int] = await self._offsets.end_offsets(partitions)
        starts: dict[TopicPartition, int] = await self._offsets.beginning_offsets(partitions)
        lags = []
        for group, topic in self._groups.items():
            committed = await self._admin.list_consumer_group_offsets(group)
            for tp in (tp for tp in partitions if tp.topic == topic):
                done = committed.get(tp)
                base = done.offset if done is not None and done.offset >= 0 else starts[tp]
                lag = max(0, ends[tp] - base)
                LAG.labels(group, topic, str(tp.partition)).set(lag)
                lags.append(PartitionLag(group, topic, tp.partition, lag))
        for topic in self._dead_letter_topics:
            written = sum(end for tp, end in ends.items() if tp.topic == topic)
            DEAD_LETTERS_WRITTEN.labels(topic).set(written)
        LOOKED.set_to_current_time()
        return lags

    async def run(self, every_seconds: float, stop: asyncio.Event) -> None:
        """Measure every `every_seconds` until `stop`; Kafka away (at start too) is counted
        and tried again next time, never fatal: the relay's own work goes on."""
        started = False
        try:
            while not stop.is_set():
                try:
                    if not started:
                        await self.start()
                        started = True
                    await self.look()
                except Exception as exc:  # the next look will tell
                    LOOK_FAILURES.labels(type(exc).__name__).inc()
                    log.warning(
                        "measuring consumer lag failed", extra={"error": type(exc).__name__}
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every_seconds)
        finally:
            if started:
                await self.stop()
