"""A consumer acts only on what is in the log: forged, replayed and poison messages on the
events topic change nothing, send nothing, and never stall what comes after them."""

from __future__ import annotations

import json
from typing import Any

from shared.event_schema import NewEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from tests.factories import ADULT_NIK, form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.test_verification_handlers import MISMATCH, queued
from tests.unit.service_tier.tier import COMMON, ServiceTier, as_

KEYS = ChainKeys.single(COMMON["chain_key_id"], COMMON["chain_key"])


def forged(record: RecordedEvent, **changes: Any) -> RecordedEvent:
    """What a writer to the topic can make: any content, but no seal (no chain key)."""
    return record.model_copy(update={**changes, "hash": "0" * 64})


def resealed(record: RecordedEvent, **changes: Any) -> RecordedEvent:
    """An event sealed with the chain key but never stored (as if the key had leaked)."""
    candidate = record.model_copy(update=changes)
    return candidate.model_copy(update={"hash": KEYS.seal(candidate.model_dump())})


async def publish(tier: ServiceTier, body: bytes) -> None:
    await tier.broker.publish(body, tier.verification_settings.events_topic, key=b"x")
    await tier.settled()


def reasons(tier: ServiceTier, topic: str) -> list[str]:
    return [d["reason"] for d in tier.dead(topic)]


async def withdrawal_like(tier: ServiceTier, of: RecordedEvent) -> RecordedEvent:
    """A RequestWithdrawn for a real request, at the stream's next version, linked."""
    head = (await tier.events(of.stream_id))[-1]
    return of.model_copy(
        update={
            "event_id": "forged-withdrawal",
            "event_type": "RequestWithdrawn",
            "schema_version": 1,
            "payload": {"request_id": of.payload["request_id"], "reason": "x", "by": "x"},
            "version": head.version + 1,
            "prev_hash": head.hash,
        }
    )


async def test_a_forged_withdrawal_neither_unqueues_nor_tells(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    [submitted] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    told = len(tier.email.sent)
    await publish(tier, forged(await withdrawal_like(tier, submitted)).model_dump_json().encode())
    assert [r["tracking_code"] for r in await queued(tier)] == [code]
    assert len(tier.email.sent) == told
    assert (await status(tier, code))["status"] == "manual_review"
    assert reasons(tier, tier.verification_settings.dead_letter_topic) == ["unsealed"]
    assert reasons(tier, tier.notification_settings.dead_letter_topic) == ["unsealed"]


async def test_a_forged_rejection_sends_nothing(tier: ServiceTier) -> None:
    code = await submit(tier, form())
    [verified] = await tier.events(tier.stream_of(ADULT_NIK), "RequestVerified")
    rejection = verified.model_copy(
        update={
            "event_id": "forged-rejection",
            "event_type": "RequestRejected",
            "payload": {"request_id": verified.payload["request_id"], "reasons": ["x"]},
        }
    )
    told = len(tier.email.sent)
    await publish(tier, forged(rejection).model_dump_json().encode())
    await publish(tier, resealed(rejection).model_dump_json().encode())  # sealed, not stored
    assert len(tier.email.sent) == told
    assert (await status(tier, code))["status"] == "verified"
    assert reasons(tier, tier.notification_settings.dead_letter_topic) == [
        "unsealed",
        "not_in_log",
    ]


async def test_a_forged_or_replayed_review_does_not_queue(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    [review] = await tier.events(tier.stream_of(ADULT_NIK), "ManualReviewRequired")
    await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_("verifier-1"))
    decided = await tier.verification.post(
        f"/v1/reviews/{code}/decision",
        json={"approved": True, "reason": "seen the family card"},
        headers=as_("verifier-1"),
    )
    assert decided.status_code == 204, decided.text
    await tier.settled()
    told = len(tier.email.sent)

    await tier.feed.deliver(review)  # the real, sealed event, published again
    await tier.settled()
    await publish(tier, forged(review, event_id="another").model_dump_json().encode())
    assert await queued(tier) == []
    assert len(tier.email.sent) == told
    assert (await status(tier, code))["status"] == "verified"


async def test_poison_in_the_log_is_dead_lettered_and_the_next_is_handled(
    tier: ServiceTier,
) -> None:
    """An event the store holds (someone with the keys wrote it) that cannot be opened."""
    stream = tier.stream_of(ADULT_NIK)
    [poison] = await tier.store.append(
        stream,
        [
            NewEvent(
                event_type="RequestSubmitted",
                schema_version=3,
                payload={"request_id": "poison-0001", "personal_data": {"policy": "nope"}},
            )
        ],
        0,
    )
    await tier.settled()
    code = await submit(tier, form(nik="3174015608850002"))
    assert (await status(tier, code))["status"] == "verified"
    assert poison.event_id  # stored, so it passed every check but the reading
    assert reasons(tier, tier.verification_settings.dead_letter_topic) == ["unreadable_event"]


async def test_json_nested_too_deep_is_dead_lettered(tier: ServiceTier) -> None:
    await publish(tier, b"[" * 100_000 + b"]" * 100_000)
    await publish(tier, json.dumps({"event_id": [[[[]]]]}).encode())
    code = await submit(tier, form())
    assert (await status(tier, code))["status"] == "verified"
    assert reasons(tier, tier.verification_settings.dead_letter_topic) == ["not_an_event"] * 2


async def test_a_handler_that_fails_is_dead_lettered_and_the_next_is_handled(
    tier: ServiceTier,
) -> None:
    async def broken(review: object) -> None:
        raise RuntimeError("a bug")

    real_add = tier.queue.add
    tier.queue.add = broken  # type: ignore[method-assign]
    await submit(tier, MISMATCH)
    tier.queue.add = real_add  # type: ignore[method-assign]
    code = await submit(tier, form(nik="3174015608850002", applicant={"birth_date": "1985-08-17"}))
    [letter] = tier.dead(tier.verification_settings.dead_letter_topic)
    assert (letter["reason"], letter["error"]) == ("handler_failed", "RuntimeError")
    assert (await status(tier, code))["status"] in ("verified", "manual_review")
