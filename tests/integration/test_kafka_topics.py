"""The topic Job (shared/messaging/topics.py) on the real broker: it creates topics with
their partitions and settings, and on a second run keeps a topic's messages, sets its
settings again and grows its partitions."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from aiokafka.admin.config_resource import (  # type: ignore[import-untyped]
    ConfigResource,
    ConfigResourceType,
)

from shared.messaging.topics import TopicPlan, TopicSpec, ensure_topics
from tests.waiting import eventually


async def _state(admin: AIOKafkaAdminClient, name: str) -> tuple[int, dict[str, str]]:
    [described] = await admin.describe_topics([name])
    [answer] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    return len(described["partitions"]), {e[0]: e[1] for e in answer.resources[0][4]}


async def _settled(
    admin: AIOKafkaAdminClient, name: str, partitions: int
) -> tuple[int, dict[str, str]]:
    """The topic's state once the broker's metadata shows `partitions` (it lags a creation
    or a growth by a moment: bounded wait)."""

    async def shown() -> bool:
        return (await _state(admin, name))[0] == partitions

    await eventually(shown, what=f"{name} with {partitions} partitions")
    return await _state(admin, name)


async def test_topics_are_created_then_kept_true(kafka_bootstrap: str) -> None:
    events, intake = (f"jemput.test.{uuid.uuid4().hex[:10]}.{n}" for n in ("events", "intake"))
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        first = TopicPlan(
            replication_factor=1,
            topics=[
                TopicSpec(name=events, partitions=2),
                TopicSpec(name=intake, partitions=2, config={"retention.ms": "3600000"}),
            ],
        )
        assert await ensure_topics(admin, first) == {events: "created", intake: "created"}
        assert (await _settled(admin, events, 2))[0] == 2
        partitions, config = await _settled(admin, intake, 2)
        assert (partitions, config["retention.ms"]) == (2, "3600000")

        again = TopicPlan(
            replication_factor=1,
            topics=[
                TopicSpec(name=events, partitions=3),
                TopicSpec(name=intake, partitions=2, config={"retention.ms": "7200000"}),
            ],
        )
        done = await ensure_topics(admin, again)
        assert done == {events: "grown to 3 partitions", intake: "updated"}
        assert (await _settled(admin, events, 3))[0] == 3
        partitions, config = await _settled(admin, intake, 2)
        assert (partitions, config["retention.ms"]) == (2, "7200000")
    finally:
        await admin.delete_topics([events, intake])
        await admin.close()


async def test_a_plan_no_write_could_satisfy_is_refused(kafka_bootstrap: str) -> None:
    name = f"jemput.test.{uuid.uuid4().hex[:10]}.refused"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        plan = TopicPlan(
            replication_factor=1,
            min_insync_replicas=2,
            topics=[TopicSpec(name=name, partitions=1)],
        )
        with pytest.raises(ValueError, match="min_insync_replicas"):
            await ensure_topics(admin, plan)
        assert name not in await admin.list_topics()
    finally:
        await admin.close()
