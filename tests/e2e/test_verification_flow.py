"""Submit over HTTP, verification decides over Kafka, the status says what happened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.waiting import eventually


@pytest.fixture
async def jb(mongo_db: AsyncDatabase[Document], kafka_bootstrap: str) -> AsyncIterator[Pipeline]:
    async with pipeline(mongo_db.name) as running:
        yield running


async def submit(jb: Pipeline, body: dict[str, Any]) -> str:
    response = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_code"])


async def status_becomes(jb: Pipeline, code: str, status: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def check() -> bool:
        seen.update((await jb.intake.get(f"/v1/status/{code}")).json())
        return bool(seen["status"] == status)

    await eventually(check, within=30, what=f"{code} to become {status} (last: {seen})")
    return seen


@pytest.mark.parametrize(
    ("kind", "nik"),
    [
        ("ektp_recording", ADULT_NIK),
        ("birth_certificate", ADULT_NIK),
        ("skds", BANDUNG_NIK),
    ],
)
async def test_each_kind_is_verified(jb: Pipeline, kind: str, nik: str) -> None:
    code = await submit(jb, form(kind, nik))
    view = await status_becomes(jb, code, "verified")
    assert code in view["next_step"]
    await eventually(
        lambda: any(code in m["Subject"] for m in jb.mailbox.messages), what="the email"
    )


async def test_a_rejection_says_why(jb: Pipeline) -> None:
    code = await submit(jb, form("skds", ADULT_NIK))  # a resident of the city
    view = await status_becomes(jb, code, "rejected")
    assert "tidak memerlukan SKDS" in view["next_step"]  # a sentence, never the code
    assert "skds_resident" not in view["next_step"]
    assert [r["code"] for r in view["reasons"]] == ["skds_resident_of_province"]


async def test_documents_requested_then_supplied_then_verified(jb: Pipeline) -> None:
    code = await submit(jb, form("birth_certificate", documents=["birth_letter"]))
    view = await status_becomes(jb, code, "documents_requested")
    assert "Kartu Keluarga" in view["next_step"]
    supplied = await jb.intake.post(
        f"/v1/requests/{code}/documents",
        json={"documents": ["family_card", "marriage_record"]},
        headers=jb.as_("officer-1"),
    )
    assert supplied.status_code == 204, supplied.text
    await status_becomes(jb, code, "verified")


async def test_manual_review_claimed_and_decided(
    jb: Pipeline, mongo_db: AsyncDatabase[Document]
) -> None:
    code = await submit(jb, form(applicant={"birth_date": "1990-03-16"}))  # differs from the NIK
    await status_becomes(jb, code, "manual_review")
    verifier = jb.as_("verifier-1")

    async def queued() -> bool:
        listed = (await jb.verification.get("/v1/reviews", headers=verifier)).json()
        return any(r["tracking_code"] == code for r in listed)

    await eventually(queued, what="the review in the queue")
    listed = (await jb.verification.get("/v1/reviews", headers=verifier)).text
    assert ADULT_NIK not in listed
    case = await jb.verification.get(f"/v1/reviews/{code}", headers=verifier)
    assert case.json()["form"]["applicant"]["nik"] == ADULT_NIK  # the verifier may see it
    [read] = await mongo_db["audit_access"].find({"action": "review"}).to_list(None)
    assert (read["caller"], read["case_reference"]) == ("verifier-1", f"review:{code}")
    assert (
        await jb.verification.get(f"/v1/reviews/{code}", headers=jb.as_("officer-1"))
    ).status_code == 403
    unclaimed = await jb.verification.post(
        f"/v1/reviews/{code}/decision", json={"approved": True, "reason": "typo"}, headers=verifier
    )
    assert unclaimed.status_code == 409
    assert (
        await jb.verification.post(f"/v1/reviews/{code}/claim", headers=verifier)
    ).status_code == 200
    taken = await jb.verification.post(f"/v1/reviews/{code}/claim", headers=jb.as_("verifier-2"))
    assert taken.status_code == 409
    decided = await jb.verification.post(
        f"/v1/reviews/{code}/decision",
        json={"approved": True, "reason": "birth date typo on device"},
        headers=verifier,
    )
    assert decided.status_code == 204, decided.text
    await status_becomes(jb, code, "verified")
    assert not await queued()


async def test_a_duplicate_batch_changes_nothing(
    jb: Pipeline, mongo_db: AsyncDatabase[Document]
) -> None:
    items = [
        {**form(), "request_id": "tab7-0001"},
        {**form("skds", BANDUNG_NIK), "request_id": "tab7-0002"},
    ]
    first = await jb.intake.post(
        "/v1/requests/batch", json={"items": items}, headers=jb.as_("officer-1")
    )
    codes = [i["tracking_code"] for i in first.json()["items"]]
    for code in codes:
        await status_becomes(jb, code, "verified")

    async def both_emailed() -> bool:
        delivered = {"event_type": "NotificationDelivered"}
        return await mongo_db["events"].count_documents(delivered) == 2

    await eventually(both_emailed, what="both applicants emailed")
    count = await mongo_db["events"].count_documents({})
    again = await jb.intake.post(
        "/v1/requests/batch", json={"items": items}, headers=jb.as_("officer-1")
    )
    assert [i["result"] for i in again.json()["items"]] == ["duplicate", "duplicate"]
    assert await mongo_db["events"].count_documents({}) == count
    assert (await mongo_db["events"].find_one({"event_type": "RequestVerified"})) is not None


async def test_two_requests_sent_close_together_the_first_is_verified(jb: Pipeline) -> None:
    """A device sent one e-KTP request twice under two ids, back to back: the first is the
    request, the second its duplicate, although both are in the log when the verifier
    decides the first."""
    first = await submit(jb, form(request_id="race-00000001"))
    second = await submit(jb, form(request_id="race-00000002"))
    await status_becomes(jb, first, "verified")
    await status_becomes(jb, second, "rejected")


async def test_a_request_dated_weeks_back_goes_to_an_officer(jb: Pipeline) -> None:
    """The device's date is what the rules judge by, so one set back is not believed."""
    weeks_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    code = await submit(jb, form(occurred_at=weeks_ago))
    await status_becomes(jb, code, "manual_review")
    queued: list[dict[str, Any]] = []

    async def queued_for_an_officer() -> bool:
        # The queue is a read model fed by the decision event: it follows the status.
        listed = await jb.verification.get("/v1/reviews", headers=jb.as_("verifier-1"))
        queued[:] = [c for c in listed.json() if c["tracking_code"] == code]
        return bool(queued)

    await eventually(queued_for_an_officer, what="the review in the queue")
    assert queued[0]["reasons"] == ["dated_before_offline_window"]
