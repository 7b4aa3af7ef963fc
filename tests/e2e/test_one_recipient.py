"""An address names one recipient, or it is refused (issue 16 item 6): the probe's
`root,probe@example.id` was emailed to two (`To: root, probe@example.id`) and
`a<b>@example.id` to `b`. On the real stack: intake, relay, verification and
notification in-process, Kafka and FerretDB, a real SMTP server."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.domain.applicant import ApplicantHistory
from shared.domain.applicant import submit as submit_request
from shared.domain.requests import RequestForm
from shared.event_schema.registry import RECORDED
from shared.eventstore.recorder import Document
from shared.privacy.setup import open_personal_data
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id
from shared.runtime import mongo_client, open_store
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import ADULT_NIK, form
from tests.waiting import eventually

LISTS = ["root,probe@example.id", "a<b>@example.id", "Budi <budi@example.id>", '"a,b"@example.id']


@pytest.mark.parametrize("address", LISTS)
async def test_an_address_that_is_not_one_addr_spec_is_refused(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, address: str
) -> None:
    async with pipeline(mongo_db.name) as jb:
        refused = await jb.intake.post(
            "/v1/requests", json=form(applicant={"email": address}), headers=jb.as_("officer-1")
        )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["applicant.email"]
    assert address not in refused.text
    assert await mongo_db["events"].count_documents({}) == 0


async def test_an_email_goes_to_the_one_address_given(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    async with pipeline(mongo_db.name) as jb:
        body = form(applicant={"email": "Siti.Aminah@Example.ID"})
        sent = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
        assert sent.status_code == 201, sent.text
        await eventually(lambda: len(jb.mailbox.messages) == 1, what="the email")
    assert jb.mailbox.envelopes == [("Siti.Aminah@example.id",)]
    assert jb.mailbox.messages[0]["To"] == "Siti.Aminah@example.id"


async def record_unchecked(jb: Pipeline, email: str) -> None:
    """A request as intake stored it before addresses were checked (written straight to
    the log, as the store holds such events from then); the relay publishes it."""
    client: AsyncMongoClient[dict[str, object]] = mongo_client(jb.settings)
    try:
        store = await open_store(client, jb.settings)  # no broker: the relay publishes it
        personal = await open_personal_data(client[jb.settings.mongo_db], jb.settings)
        histories = ApplicantHistories(store, jb.settings.pseudonym_bytes(), personal)
        request_form = RequestForm.model_validate(
            form(applicant={"email": email}), context=RECORDED
        )
        stream, request_id = histories.stream_of(ADULT_NIK), "officer-1:old-0001"

        def decide(history: ApplicantHistory) -> list[ToRecord]:
            event = submit_request(
                history, request_id, "JB-OLD00-00001", request_form, "officer-1", "http"
            )
            assert event is not None
            return [ToRecord(event, derived_id("submitted", request_id))]

        await histories.record(stream, decide)
    finally:
        await client.close()


async def test_an_address_recorded_before_the_check_is_sent_to_nobody(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    async with pipeline(mongo_db.name) as jb:
        await record_unchecked(jb, "root,probe@example.id")
        events = mongo_db["events"]

        async def failed_for_good() -> bool:
            query = {"event_type": "NotificationFailed", "payload.final": True}
            return await events.count_documents(query) == 1

        await eventually(failed_for_good, within=30, what="the email failed for good")
    failure = await events.find_one({"event_type": "NotificationFailed"})
    assert failure is not None
    assert failure["payload"]["error"] == "email:invalid_address"
    assert await events.count_documents({"event_type": "NotificationAttempted"}) == 1  # no retry
    assert jb.mailbox.messages == []
    assert await events.count_documents({"event_type": "RequestVerified"}) == 1  # still decided
