"""Consumer lag and dead letters measured on the real broker (shared/messaging/lag.py):
a group that committed part of what a topic holds lags by the rest, partition by
partition; a group that committed nothing lags by everything; a dead-letter topic counts
every message written to it."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.structs import OffsetAndMetadata  # type: ignore[import-untyped]
from prometheus_client import REGISTRY

from shared.messaging.lag import LagExporter


async def test_lag_per_group_and_partition_and_dead_letters_per_topic(
    kafka_bootstrap: str,
) -> None:
    suffix = uuid.uuid4().hex[:10]
    topic, dlq = f"test.lag.{suffix}", f"test.lag.dlq.{suffix}"
    behind, idle = f"test-behind-{suffix}", f"test-idle-{suffix}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1), NewTopic(dlq, 1, 1)])
        for i in range(5):
            await producer.send_and_wait(topic, b"e", partition=0)
            if i < 3:
                await producer.send_and_wait(topic, b"e", partition=1)
        for _ in range(2):
            await producer.send_and_wait(dlq, b"dead")
        # `behind` handled 4 of partition 0's 5 and 1 of partition 1's 3.
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka_bootstrap, group_id=behind, enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
            await consumer.commit(
                {
                    TopicPartition(topic, 0): OffsetAndMetadata(4, ""),
                    TopicPartition(topic, 1): OffsetAndMetadata(1, ""),
                }
            )
        finally:
            await consumer.stop()

        exporter = LagExporter(kafka_bootstrap, {behind: topic, idle: topic}, [dlq])
        await exporter.start()
        try:
            lags = {(x.group, x.partition): x.lag for x in await exporter.look()}
        finally:
            await exporter.stop()
        assert lags == {(behind, 0): 1, (behind, 1): 2, (idle, 0): 5, (idle, 1): 3}
        sample = REGISTRY.get_sample_value(
            "jemput_consumer_lag", {"group": behind, "topic": topic, "partition": "1"}
        )
        assert sample == 2
        assert REGISTRY.get_sample_value("jemput_dead_letters_written", {"topic": dlq}) == 2
    finally:
        await producer.stop()
        await admin.delete_topics([topic, dlq])
        await admin.close()
