"""Verification's handlers beyond the rules: redeliveries, the review queue and its API,
and events it cannot read."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.event_schema import RecordedEvent
from tests.factories import ADULT_NIK, form
from tests.unit.service_tier.requests import birth, status, submit
from tests.unit.service_tier.tier import ServiceTier, as_

MISMATCH = form(applicant={"birth_date": "1990-03-16"})  # goes to manual review
DECISIONS = ("RequestVerified", "RequestRejected", "DocumentsRequested", "ManualReviewRequired")


async def decisions(tier: ServiceTier) -> list[RecordedEvent]:
    return [r for r in await tier.events(tier.stream_of(ADULT_NIK)) if r.event_type in DECISIONS]


async def test_a_request_delivered_again_is_decided_once(tier: ServiceTier) -> None:
    await submit(tier, form())
    [submitted] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    [decided] = await decisions(tier)
    await tier.feed.deliver(submitted)
    await tier.feed.deliver(submitted)
    await tier.feed.deliver(decided)  # and the decision: told once
    await tier.settled()
    assert [r.event_id for r in await decisions(tier)] == [decided.event_id]
    assert decided.causation_id == submitted.event_id
    assert len(tier.email.sent) == 1


async def test_a_request_delivered_to_two_consumers_at_once_is_decided_once(
    tier: ServiceTier,
) -> None:
    """As after a rebalance: the same event handled concurrently before either decided."""
    await submit(tier, form(), settle=False)
    [submitted] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    await asyncio.gather(tier.feed.deliver(submitted), tier.feed.deliver(submitted))
    await tier.settled()
    assert [r.event_type for r in await decisions(tier)] == ["RequestVerified"]
    assert len(tier.email.sent) == 1


async def test_documents_supplied_twice_are_decided_once(tier: ServiceTier) -> None:
    body = {**birth(), "documents": ["birth_letter", "family_card"]}
    code = await submit(tier, body)
    supplied = await tier.intake.post(
        f"/v1/requests/{code}/documents",
        json={"documents": ["marriage_record"]},
        headers=as_("officer-1"),
    )
    assert supplied.status_code == 204
    await tier.settled()
    [event] = await tier.events(tier.stream_of(ADULT_NIK), "DocumentsSupplied")
    await tier.feed.deliver(event)
    await tier.settled()
    assert [r.event_type for r in await decisions(tier)] == [
        "DocumentsRequested",
        "RequestVerified",
    ]


async def queued(tier: ServiceTier, as_who: str = "verifier-1") -> list[dict[str, Any]]:
    response = await tier.verification.get("/v1/reviews", headers=as_(as_who))
    assert response.status_code == 200, response.text
    reviews: list[dict[str, Any]] = response.json()
    return reviews


async def test_a_review_is_queued_claimed_decided_and_unqueued(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    [review] = await queued(tier)
    assert (review["tracking_code"], review["reasons"]) == (code, ["nik_birth_or_sex_mismatch"])
    assert ADULT_NIK not in str(review)

    case = await tier.verification.get(f"/v1/reviews/{code}", headers=as_("verifier-1"))
    assert case.json()["form"]["applicant"]["nik"] == ADULT_NIK  # the verifier sees it all
    [read] = tier.access.records  # and that read is on record
    assert (read.caller, read.action, read.stream_id, read.case_reference) == (
        "verifier-1",
        "review",
        tier.stream_of(ADULT_NIK),
        f"review:{code}",
    )

    decision = {"approved": True, "reason": "typing slip on the device"}
    unclaimed = await tier.verification.post(
        f"/v1/reviews/{code}/decision", json=decision, headers=as_("verifier-1")
    )
    assert unclaimed.status_code == 409
    mine = await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_("verifier-1"))
    assert mine.json()["claimed_by"] == "verifier-1"
    theirs = await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_("verifier-2"))
    assert theirs.status_code == 409
    decided = await tier.verification.post(
        f"/v1/reviews/{code}/decision", json=decision, headers=as_("verifier-1")
    )
    assert decided.status_code == 204, decided.text
    await tier.settled()
    assert await queued(tier) == []
    assert (await status(tier, code))["status"] == "verified"
    told = [m.subject.rsplit(": ", 1)[1] for m in tier.email.sent]
    assert told == ["sedang diperiksa petugas", "disetujui"]  # under review, approved


async def test_a_review_rejected_says_so(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_("verifier-1"))
    await tier.verification.post(
        f"/v1/reviews/{code}/decision",
        json={"approved": False, "reason": "not the same person"},
        headers=as_("verifier-1"),
    )
    await tier.settled()
    view = await status(tier, code)
    assert view["status"] == "rejected"
    assert await queued(tier) == []


async def test_a_withdrawn_request_leaves_the_queue(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    assert len(await queued(tier)) == 1
    withdrawn = await tier.intake.post(
        f"/v1/requests/{code}/withdraw", json={"reason": "moved away"}, headers=as_("officer-1")
    )
    assert withdrawn.status_code == 204
    await tier.settled()
    assert await queued(tier) == []
    gone = await tier.verification.get(f"/v1/reviews/{code}", headers=as_("verifier-1"))
    assert gone.status_code == 404


async def test_only_verifiers_see_the_queue(tier: ServiceTier) -> None:
    await submit(tier, MISMATCH)
    officer = await tier.verification.get("/v1/reviews", headers=as_("officer-1"))
    assert officer.status_code == 403
    assert (await tier.verification.get("/v1/reviews")).status_code == 401


async def test_events_it_cannot_read_are_dead_lettered(tier: ServiceTier) -> None:
    topic = tier.verification_settings.events_topic
    await tier.broker.publish(b"not an event", topic, key=b"x")
    await submit(tier, form())
    [submitted] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    unsealed = submitted.model_copy(update={"event_id": "other", "payload": {"form": 1}})
    await tier.broker.publish(unsealed.model_dump_json().encode(), topic, key=b"x")
    reasons = [d["reason"] for d in tier.dead(tier.verification_settings.dead_letter_topic)]
    assert reasons == ["not_an_event", "unsealed"]
    assert len(await decisions(tier)) == 1  # the good one went on
