"""Two decisions of one case at the same moment, through two verification instances on
the real Kafka and FerretDB: one is recorded, the other is told who decided what, and
the log holds one decision."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.verification.bootstrap import create_app as verification_app
from services.verification.settings import VerificationSettings
from shared.eventstore.recorder import Document
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import form
from tests.waiting import eventually


@pytest.fixture
async def two(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> AsyncIterator[tuple[Pipeline, httpx.AsyncClient]]:
    async with pipeline(mongo_db.name) as jb:
        fields = {
            k: v
            for k, v in jb.settings.model_dump().items()
            if k in VerificationSettings.model_fields
        }
        app = verification_app(VerificationSettings(**fields))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
                yield jb, other


async def test_two_decisions_at_once_record_one(
    two: tuple[Pipeline, httpx.AsyncClient], mongo_db: AsyncDatabase[Document]
) -> None:
    jb, other = two
    verifier = jb.as_("verifier-1")
    sent = await jb.intake.post(
        "/v1/requests",
        json=form(applicant={"birth_date": "1990-03-16"}),  # differs from the NIK: a review
        headers=jb.as_("officer-1"),
    )
    code = sent.json()["tracking_code"]

    async def queued() -> bool:
        listed = (await jb.verification.get("/v1/reviews", headers=verifier)).json()
        return any(r["tracking_code"] == code for r in listed)

    await eventually(queued, within=30, what="the review in the queue")
    claimed = await jb.verification.post(f"/v1/reviews/{code}/claim", headers=verifier)
    assert claimed.status_code == 200, claimed.text
    # The same verifier's two tabs, on two instances, click at once with different verdicts
    # (one of them the old body, `approved`; the other asks for documents).
    approve, ask = await asyncio.gather(
        jb.verification.post(
            f"/v1/reviews/{code}/decision",
            json={"approved": True, "reason": "tanggal lahir salah ketik"},
            headers=verifier,
        ),
        other.post(
            f"/v1/reviews/{code}/decision",
            json={
                "outcome": "documents_requested",
                "documents": ["family_card"],
                "reason": "dokumen tidak cocok",
            },
            headers=verifier,
        ),
    )
    assert sorted([approve.status_code, ask.status_code]) == [204, 409], (approve.text, ask.text)
    decisions = await mongo_db["events"].find({"event_type": "ManualReviewDecided"}).to_list(None)
    assert len(decisions) == 1
    won = decisions[0]["payload"]["outcome"]
    lost = ask if won == "approved" else approve
    assert (lost.json()["decided_by"], lost.json()["outcome"]) == ("verifier-1", won)
    assert won in lost.json()["detail"]
    # A second verifier later is told the same, and nothing is claimed or decided again.
    late = await other.post(f"/v1/reviews/{code}/claim", headers=jb.as_("verifier-2"))
    assert late.status_code == 409
    assert (late.json()["decided_by"], late.json()["outcome"]) == ("verifier-1", won)
    assert await mongo_db["events"].count_documents({"event_type": "ManualReviewDecided"}) == 1
