"""The intake topic holds forms in clear (other systems hold no data keys), so it keeps
them only for a while: the stack creates it with its own retention, shorter than the
broker's week."""

from __future__ import annotations

import os

from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from aiokafka.admin.config_resource import (  # type: ignore[import-untyped]
    ConfigResource,
    ConfigResourceType,
)

HOURS = int(os.environ.get("JEMPUT_INTAKE_RETENTION_HOURS", "24"))


async def test_the_intake_topic_forgets_within_its_retention(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [answer] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "jemput.intake.v1")]
        )
    finally:
        await admin.close()
    entries = {entry[0]: entry[1] for entry in answer.resources[0][4]}
    assert entries["retention.ms"] == str(HOURS * 3600 * 1000)
