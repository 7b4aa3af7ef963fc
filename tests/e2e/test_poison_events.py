"""Poison on the events topic goes to the service's dead-letter topic; the service goes on."""

from __future__ import annotations

import json

from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from shared.messaging.kafka import make_broker
from tests.e2e.pipeline import pipeline
from tests.factories import form
from tests.observer import collecting
from tests.waiting import eventually


async def test_unreadable_events_are_dead_lettered_and_the_pipeline_keeps_going(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    async with (
        pipeline(mongo_db.name) as jb,
        collecting(kafka_bootstrap, jb.verification_dead_letters) as dead,
        make_broker(kafka_bootstrap, "test-poison") as producer,
    ):
        await producer.connect()
        topic = jb.settings.events_topic
        await producer.publish(b"\x00\xffnot json", topic, key=b"applicant-x")
        fake = {
            "event_id": "e",
            "event_type": "RequestSubmitted",
            "schema_version": 1,
            "payload": {"request_id": "r"},
            "occurred_at": "2026-11-29T00:00:00Z",
            "stream_id": "applicant-x",
            "version": 1,
            "position": 1,
            "recorded_at": "2026-11-29T00:00:00Z",
            "key_id": "k",
            "prev_hash": "0",
            "hash": "h",
        }
        await producer.publish(json.dumps(fake).encode(), topic, key=b"applicant-x")
        await eventually(lambda: len(dead) >= 2, what="two dead letters")
        response = await jb.intake.post("/v1/requests", json=form(), headers=jb.as_("officer-1"))
        code = response.json()["tracking_code"]

        async def verified() -> bool:
            return bool((await jb.intake.get(f"/v1/status/{code}")).json()["status"] == "verified")

        await eventually(verified, what="a good request after the poison")
        await eventually(lambda: bool(jb.mailbox.messages), what="its email")
        metrics = (await jb.verification.get("/metrics")).text
    assert sorted(d["reason"] for d in dead[:2]) == ["not_an_event", "unsealed"]
    group = jb.settings.group("verification")
    assert f'jemput_dead_letters_total{{group="{group}",reason="not_an_event"}}' in metrics
