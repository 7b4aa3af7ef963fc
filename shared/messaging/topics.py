"""Create jemput's Kafka topics with their partitions, replication and settings, and keep
those true on a topic made before: `python -m shared.messaging.topics` (Kubernetes runs it
as a Job before every install and upgrade, deploy/kubernetes/jemput/templates/topics-job.yaml).

What it is given (JEMPUT_TOPICS, JSON):
`{"replication_factor": 3, "min_insync_replicas": 2,
  "topics": [{"name": "jemput.events.v1", "partitions": 12}, {"name": "jemput.intake.v1",
  "partitions": 12, "config": {"retention.ms": "86400000"}}]}`

A topic that exists keeps its messages: its settings are set again (retention is how the
intake topic forgets, ADR 9) and its partitions grow to the number asked for, never
shrink (Kafka cannot; fewer would also move keys between partitions). Growing them moves
keys too, so an applicant's later events may overtake earlier ones still unread on the old
partition: grow while consumers have caught up (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

from aiokafka.admin import (  # type: ignore[import-untyped]
    AIOKafkaAdminClient,
    NewPartitions,
    NewTopic,
)
from aiokafka.admin.config_resource import (  # type: ignore[import-untyped]
    ConfigResource,
    ConfigResourceType,
)
from pydantic import BaseModel, Field

log = logging.getLogger("jemput.topics")
TOPIC_ALREADY_EXISTS = 36


class TopicSpec(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")
    partitions: int = Field(ge=1, le=10_000)
    config: dict[str, str] = {}


class TopicPlan(BaseModel):
    replication_factor: int = Field(ge=1, le=7)
    min_insync_replicas: int = Field(default=1, ge=1, le=7)
    topics: list[TopicSpec]

    def settings_of(self, topic: TopicSpec) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync_replicas), **topic.config}


class TopicError(RuntimeError):
    """Kafka refused to create or change a topic (its error code and message)."""


async def ensure_topics(admin: AIOKafkaAdminClient, plan: TopicPlan) -> dict[str, str]:
    """What was done to each topic: `created`, `updated` or `grown to N partitions`."""
    if plan.min_insync_replicas > plan.replication_factor:
        raise ValueError("min_insync_replicas is above replication_factor: no write could succeed")
    response = await admin.create_topics(
        [
            NewTopic(
                t.name, t.partitions, plan.replication_factor, topic_configs=plan.settings_of(t)
            )
            for t in plan.topics
        ]
    )
    done: dict[str, str] = {}
    for name, code, message in _errors(response):
        if code == 0:
            done[name] = "created"
        elif code != TOPIC_ALREADY_EXISTS:
            raise TopicError(f"creating {name}: error {code} {message or ''}".strip())
    existing = [t for t in plan.topics if t.name not in done]
    if existing:
        await admin.alter_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, t.name, plan.settings_of(t))
                for t in existing
            ]
        )
        counts = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics()}
        grow = {t.name: t.partitions for t in existing if counts.get(t.name, 0) < t.partitions}
        if grow:
            await admin.create_partitions({n: NewPartitions(c) for n, c in grow.items()})
        for t in existing:
            done[t.name] = f"grown to {grow[t.name]} partitions" if t.name in grow else "updated"
    return done


def _errors(response: Any) -> list[tuple[str, int, str | None]]:
    return [(e[0], e[1], e[2] if len(e) > 2 else None) for e in response.topic_errors]


async def main(bootstrap: str, plan: TopicPlan) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jemput-topics")
    await admin.start()
    try:
        for name, what in (await ensure_topics(admin, plan)).items():
            log.info("topic %s: %s", name, what)
    finally:
        await admin.close()


if __name__ == "__main__":
    logging.basicConfig(level="INFO", format="%(message)s")
    given = os.environ.get("JEMPUT_TOPICS")
    if not given:
        sys.exit("JEMPUT_TOPICS is not set (JSON: replication_factor, topics)")
    asyncio.run(
        main(
            os.environ.get("JEMPUT_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            TopicPlan.model_validate_json(given),
        )
    )
