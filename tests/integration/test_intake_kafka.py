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
    assert reasons == [("invalid", "applicant.nik"), ("invalid", "body")]
    assert all("31740115039" not in json.dumps(d["errors"]) for d in dead)
    assert ADULT_NIK not in json.dumps([d["errors"] for d in dead])
    assert await events.count_documents({}) == 1  # the repeat was a no-op


async def test_what_http_would_refuse_is_dead_lettered_from_the_topic_too(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    """The probe's findings (issue 16 item 5): a duplicate `nik`, UTF-16 and BOM bodies
    and a 300 KiB body were stored from the topic; an array 100,000 deep was parsed again
    and again, never dead-lettered. Each now lands in the dead letters with its reason,
    once, and the message after them is stored within seconds."""
    settings = intake_settings(mongo_db.name)
    text = json.dumps({**form(), "request_id": "kafka-poison-01"})
    padded = json.dumps({**form(), "request_id": "kafka-poison-02", "pad": " " * 300 * 1024})
    poison = {
        "duplicate_key": text.replace('"nik": ', '"nik": "3273010202950003", "nik": ', 1).encode(),
        "encoding": text.encode("utf-16"),
        "encoding-bom": b"\xef\xbb\xbf" + text.encode(),
        "too_large": padded.encode(),
        "too_deep": b"[" * 100_000 + b"]" * 100_000,
        # Issue 16 item 6: an address that names two recipients (the same model as HTTP).
        "value_error-email": json.dumps(
            {**form(applicant={"email": "root,probe@example.id"}), "request_id": "kafka-p-03"}
        ).encode(),
    }
    async with (
        intake(settings),
        collecting(kafka_bootstrap, settings.intake_dead_letter_topic) as dead,
        make_broker(kafka_bootstrap, "test-intake-producer") as producer,
    ):
        await producer.connect()
        for body in poison.values():
            await producer.publish(body, settings.intake_topic, key=b"same-partition")
        after = {**form(), "request_id": "kafka-after-01"}
        await producer.publish(
            json.dumps(after).encode(), settings.intake_topic, key=b"same-partition"
        )
        events = mongo_db["events"]
        scoped_id = f"kafka:{settings.intake_topic}:kafka-after-01"
        await eventually(
            lambda: _count(events, {"payload.request_id": scoped_id}, 1),
            within=15,
            what="the message after the poison",
        )
        await eventually(lambda: len(dead) >= len(poison), what="every poison dead-lettered")
    kinds = sorted(d["errors"][0]["error"] for d in dead)
    assert kinds == sorted(k.partition("-")[0] for k in poison)
    assert len(dead) == len(poison)  # each once: no redelivery loop
    assert {d["reason"] for d in dead} == {"invalid"}
    assert {d["errors"][0]["field"] for d in dead} == {"body", "applicant.email"}
    assert "root,probe" not in json.dumps(dead)
    assert await events.count_documents({}) == 1  # only the good one
    assert ADULT_NIK not in json.dumps(dead)


async def _count(collection: Any, query: dict[str, Any], expected: int) -> bool:
    return bool(await collection.count_documents(query) == expected)
