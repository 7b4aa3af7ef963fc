"""A submission that cannot be taken is dead-lettered sealed: the topic holds no form in
clear; with the keys (jemput-audit dead-letters show) its body opens again, to replay."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.audit.dead_letters import body_of, listed, read_dead_letters
from services.intake.settings import IntakeSettings
from shared.eventstore.recorder import Document
from shared.messaging.kafka import make_broker
from shared.privacy.setup import open_personal_data
from tests.e2e.kafka_reader import everything_on
from tests.e2e.pipeline import pipeline
from tests.factories import form
from tests.waiting import eventually


async def test_an_intake_dead_letter_holds_its_body_only_sealed(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    marker = f"Jl. Surat Mati {uuid.uuid4().hex[:8]}"  # in the form, nowhere else
    topics = IntakeSettings()
    body = json.dumps(form(applicant={"address": marker})).encode()  # no request_id: refused
    async with pipeline(mongo_db.name) as jb, make_broker(kafka_bootstrap, "t-dl") as producer:
        await producer.connect()
        await producer.publish(body, topics.intake_topic)

        async def ours() -> list[dict[str, Any]]:
            entries = await read_dead_letters(kafka_bootstrap, topics.intake_dead_letter_topic)
            return [e for e in entries if e["source"]["topic"] == topics.intake_topic]

        async def arrived() -> bool:
            return bool(await ours())

        await eventually(arrived, what="the dead letter")
        on_topic = await everything_on(kafka_bootstrap, topics.intake_dead_letter_topic)
        assert on_topic
        assert not [m for m in on_topic if marker.encode() in m]
        personal = await open_personal_data(mongo_db, jb.settings)
        opened = [await body_of(personal, e) for e in await ours()]
        assert body.decode() in opened
        assert all("body" not in listed(e) for e in await ours())
