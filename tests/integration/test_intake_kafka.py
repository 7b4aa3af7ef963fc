"""Intake from the Kafka topic: same checks as HTTP; poison goes to the dead-letter topic."""

from __future__ import annotations

import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from shared.messaging.kafka import make_broker
from tests.factories import ADULT_NIK, form
from tests.integration.intake_client import intake, intake_settings
from tests.observer import collecting
from tests.waiting import eventually


async def test_topic_submissions_are_stored_and_poison_is_dead_lettered(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    settings = intake_settings(mongo_db.name)
    async with (
        intake(settings),
        collecting(kafka_bootstrap, settings.intake_dead_letter_topic) as dead,
        make_broker(kafka_bootstrap, "test-intake-producer") as observer,
    ):
        await observer.connect()
        good = {**form(), "request_id": "kafka-req-0001"}
        await observer.publish(
            json.dumps(good).encode(), settings.intake_topic, key=b"kafka-req-0001"
        )
        await observer.publish(
            json.dumps(good).encode(), settings.intake_topic, key=b"kafka-req-0001"
        )
        await observer.publish(b"{broken", settings.intake_topic, key=b"x")
        bad_nik = {**form(applicant={"nik": "31740115039"}), "request_id": "kafka-req-0002"}
        await observer.publish(json.dumps(bad_nik).encode(), settings.intake_topic, key=b"y")
        await eventually(lambda: len(dead) >= 2, what="two dead letters")
        events = mongo_db["events"]
        scoped_id = f"kafka:{settings.intake_topic}:kafka-req-0001"  # the topic's scope
        await eventually(
            lambda: _count(events, {"payload.request_id": scoped_id}, 1), what="the good one"
        )

    reasons = sorted((d["reason"], d["errors"][0].get("field", "")) for d in dead)
    assert reasons == [("invalid", ""), ("invalid", "applicant.nik")]
    assert all("31740115039" not in json.dumps(d["errors"]) for d in dead)
    assert ADULT_NIK not in json.dumps([d["errors"] for d in dead])
    assert await events.count_documents({}) == 1  # the repeat was a no-op


async def _count(collection: Any, query: dict[str, Any], expected: int) -> bool:
    return bool(await collection.count_documents(query) == expected)
