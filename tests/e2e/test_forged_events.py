"""On the real Kafka and store: what a writer to the events topic publishes is acted on only
if it is in the log. Forged events (no seal), a real event published again after the
request moved on, and poison change nothing and send nothing; the consumers dead-letter
them and handle the next request within seconds."""

from __future__ import annotations

import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from shared.messaging.kafka import make_broker
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import form
from tests.observer import collecting
from tests.waiting import eventually

REVIEW_NIK = "3174011503900001"
VERIFIED_NIK = "3174015608850002"
LATER_NIK = "3174012001920003"


async def submitted(jb: Pipeline, body: dict[str, Any]) -> str:
    response = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_code"])


async def status(jb: Pipeline, code: str) -> str:
    return str((await jb.intake.get(f"/v1/status/{code}")).json()["status"])


def forged(real: dict[str, Any], kind: str, payload: dict[str, Any]) -> bytes:
    """The next event of a real stream, linked to its head, but without a seal."""
    return json.dumps(
        {
            **real,
            "event_id": f"forged-{kind}",
            "event_type": kind,
            "schema_version": 1,
            "payload": payload,
            "version": real["version"] + 1,
            "prev_hash": real["hash"],
            "hash": "0" * 64,
        }
    ).encode()


async def test_forged_replayed_and_poison_events_change_nothing_and_send_nothing(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    async with pipeline(mongo_db.name) as jb:
        topic = jb.settings.events_topic
        async with (
            collecting(kafka_bootstrap, topic) as events,
            collecting(kafka_bootstrap, jb.verification_dead_letters) as dead_v,
            collecting(kafka_bootstrap, jb.notification_dead_letters) as dead_n,
            make_broker(kafka_bootstrap, "test-forger") as forger,
        ):
            await forger.connect()
            review = await submitted(
                jb, form(nik=REVIEW_NIK, applicant={"birth_date": "1990-03-16"})
            )
            verified = await submitted(jb, form(nik=VERIFIED_NIK))

            def real(kind: str) -> dict[str, Any] | None:
                return next((e for e in events if e["event_type"] == kind), None)

            await eventually(lambda: real("ManualReviewRequired") is not None, what="a review")
            await eventually(lambda: real("RequestVerified") is not None, what="a verification")
            await eventually(lambda: len(jb.mailbox.messages) >= 2, what="the first emails")
            mrr, done = real("ManualReviewRequired"), real("RequestVerified")
            assert mrr is not None
            assert done is not None
            request_a, request_b = mrr["payload"]["request_id"], done["payload"]["request_id"]

            async def publish(body: bytes, key: str) -> None:
                await forger.publish(body, topic, key=key.encode())

            # A withdrawal of the case under review; a rejection and a review of the verified.
            await publish(
                forged(mrr, "RequestWithdrawn", {"request_id": request_a, "reason": "x"}),
                mrr["stream_id"],
            )
            await publish(
                forged(done, "RequestRejected", {"request_id": request_b, "reasons": ["x"]}),
                done["stream_id"],
            )
            await publish(
                forged(done, "ManualReviewRequired", {"request_id": request_b, "reasons": []}),
                done["stream_id"],
            )
            # Poison: personal data under a policy nobody has, and JSON nested too deep.
            await publish(
                forged(done, "RequestSubmitted", {"personal_data": {"policy": "nope"}}),
                done["stream_id"],
            )
            await publish(b"[" * 100_000 + b"]" * 100_000, "x")

            # The case is decided; then its real ManualReviewRequired is published again.
            verifier = jb.as_("verifier-1")
            await jb.verification.post(f"/v1/reviews/{review}/claim", headers=verifier)
            decided = await jb.verification.post(
                f"/v1/reviews/{review}/decision",
                json={"approved": True, "reason": "seen the family card"},
                headers=verifier,
            )
            assert decided.status_code == 204, decided.text
            await eventually(lambda: len(jb.mailbox.messages) >= 3, what="the approval email")
            await publish(json.dumps(mrr).encode(), mrr["stream_id"])

            # The next request is handled as if nothing had happened.
            later = await submitted(jb, form(nik=LATER_NIK))

            async def later_done() -> bool:
                return await status(jb, later) == "verified" and len(jb.mailbox.messages) >= 4

            await eventually(later_done, what="the next request verified and emailed")
            await eventually(lambda: len(dead_v) >= 4 and len(dead_n) >= 4, what="dead letters")
            queue = (await jb.verification.get("/v1/reviews", headers=verifier)).json()
            assert (await status(jb, review), await status(jb, verified)) == (
                "verified",
                "verified",
            )

    assert queue == []
    subjects = sorted(str(m["Subject"]).rsplit(": ", 1)[1] for m in jb.mailbox.messages)
    assert subjects == ["disetujui", "disetujui", "disetujui", "sedang diperiksa petugas"]
    assert {d["reason"] for d in dead_v} == {"unsealed", "not_an_event"}
    assert {d["reason"] for d in dead_n} == {"unsealed", "not_an_event"}
    assert not any(d["reason"] == "handler_failed" for d in dead_v + dead_n)
