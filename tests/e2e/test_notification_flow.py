"""Applicants are told, by a real SMTP server and a real HTTP SMS gateway, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.event_schema import RecordedEvent
from shared.eventstore.recorder import Document
from shared.messaging.kafka import make_broker
from tests.e2e.pipeline import Pipeline, pipeline
from tests.e2e.receivers import Mailbox, SmsGatewayReceiver, sms_gateway
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.observer import collecting
from tests.waiting import eventually

EMAIL = "siti@example.id"
PHONE = "+6281234567890"


class Stack:
    def __init__(
        self, jb: Pipeline, mailbox: Mailbox, sms: SmsGatewayReceiver, db: AsyncDatabase[Document]
    ) -> None:
        self.jb, self.mailbox, self.sms, self.db = jb, mailbox, sms, db

    async def submit(self, body: dict[str, Any]) -> str:
        response = await self.jb.intake.post(
            "/v1/requests", json=body, headers=self.jb.as_("officer-1")
        )
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_code"])

    async def count(self, event_type: str) -> int:
        return await self.db["events"].count_documents({"event_type": event_type})


@pytest.fixture
def sms() -> SmsGatewayReceiver:
    return SmsGatewayReceiver()


@pytest.fixture
async def stack(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, sms: SmsGatewayReceiver
) -> AsyncIterator[Stack]:
    async with sms_gateway(sms) as url, pipeline(mongo_db.name, url) as jb:
        yield Stack(jb, jb.mailbox, sms, mongo_db)


async def test_verified_applicant_is_emailed_and_texted_in_indonesian(stack: Stack) -> None:
    code = await stack.submit(form())
    await eventually(lambda: len(stack.mailbox.to(EMAIL)) == 1, what="the email")
    [mail] = stack.mailbox.to(EMAIL)
    assert stack.mailbox.recipients(mail) == (EMAIL, EMAIL)  # envelope and To: only hers
    assert code in mail["Subject"]
    assert "disetujui" in mail["Subject"]
    assert mail["Content-Language"] == "id"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert body.startswith("Yth. Siti Aminah,")
    assert ADULT_NIK not in body  # no need to send the NIK around
    await eventually(lambda: len(stack.sms.delivered) == 1, what="the text message")
    [text] = stack.sms.delivered.values()
    assert text["to"] == PHONE
    assert code in text["text"]
    await eventually(lambda: _equals(stack.count("NotificationDelivered"), 2), what="outcomes")
    assert await stack.count("NotificationAttempted") == 2


async def test_english_when_the_applicant_prefers_it(stack: Stack) -> None:
    await stack.submit(form("skds", BANDUNG_NIK, applicant={"language": "en"}))
    await eventually(lambda: len(stack.mailbox.to(EMAIL)) == 1, what="the email")
    [mail] = stack.mailbox.to(EMAIL)
    assert stack.mailbox.recipients(mail) == (EMAIL, EMAIL)
    assert "approved" in mail["Subject"]
    assert mail["Content-Language"] == "en"
    assert "Dear Siti Aminah," in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


async def test_documents_requested_email_lists_what_to_bring(stack: Stack) -> None:
    await stack.submit(form("birth_certificate", documents=["birth_letter"]))
    await eventually(lambda: len(stack.mailbox.to(EMAIL)) == 1, what="the email")
    assert stack.mailbox.only_to(EMAIL)
    body = stack.mailbox.to(EMAIL)[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Kartu Keluarga (KK) orang tua" in body
    assert "buku nikah" in body


@pytest.mark.parametrize("sms", [SmsGatewayReceiver(fail_first=2)])
async def test_a_failing_gateway_is_retried_and_every_attempt_recorded(stack: Stack) -> None:
    await stack.submit(form(applicant={"email": None}))
    await eventually(lambda: len(stack.sms.delivered) == 1, what="the text after retries")
    assert len(stack.sms.requests) == 3
    await eventually(lambda: _equals(stack.count("NotificationDelivered"), 1), what="the outcome")
    assert await stack.count("NotificationAttempted") == 3
    assert await stack.count("NotificationFailed") == 2


@pytest.mark.parametrize("sms", [SmsGatewayReceiver(fail_first=-1)])
async def test_after_the_last_retry_a_failure_event_and_a_dead_letter(
    stack: Stack, kafka_bootstrap: str
) -> None:
    async with collecting(kafka_bootstrap, stack.jb.notification_dead_letters) as dead:
        await stack.submit(form(applicant={"email": None}))
        await eventually(lambda: any(d.get("channel") == "sms" for d in dead), what="a dead letter")
    final = await stack.db["events"].find_one(
        {"event_type": "NotificationFailed", "payload.final": True}
    )
    assert final is not None
    assert final["payload"]["error"] == "sms:http_503"
    assert len(stack.sms.requests) == 3


async def test_a_redelivered_decision_sends_no_second_alert(stack: Stack) -> None:
    await stack.submit(form())
    await eventually(lambda: len(stack.mailbox.to(EMAIL)) == 1, what="the first email")
    decision = await stack.db["events"].find_one({"event_type": "RequestVerified"})
    assert decision is not None
    broker = make_broker(stack.jb.settings.kafka_bootstrap, "test-redeliver")
    async with broker:
        await broker.connect()
        copy = {k: v for k, v in decision.items() if k != "_id"}
        record = RecordedEvent.model_validate(copy)
        await broker.publish(
            record.model_dump_json().encode(),
            stack.jb.settings.events_topic,
            key=record.stream_id.encode(),
        )
    # Same key, same partition: once the next request's email is out, the copy was handled.
    await stack.submit(form("birth_certificate"))
    await eventually(lambda: len(stack.mailbox.to(EMAIL)) == 2, what="the second request's email")
    subjects = sorted(m["Subject"] for m in stack.mailbox.to(EMAIL))
    assert len(set(subjects)) == 2
    assert stack.mailbox.only_to(EMAIL)


async def _equals(count: Any, expected: int) -> bool:
    return bool(await count == expected)
