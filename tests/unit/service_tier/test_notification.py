"""Notification's paths: delivered, retried, failed for good, and a send whose outcome a
crash left unknown (resent only where the channel drops repeats)."""

from __future__ import annotations

import json

from shared.event_schema import RecordedEvent
from tests.factories import ADULT_NIK, form
from tests.unit.service_tier.fakes import ProcessCrashError
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.tier import ServiceTier

NOTIFYING = ("NotificationAttempted", "NotificationDelivered", "NotificationFailed")


async def trail(tier: ServiceTier, channel: str) -> list[tuple[str, int, str | None, bool]]:
    """(event type, attempt, error, final) of one channel's notification events, in order."""
    records = [r for r in await tier.events(tier.stream_of(ADULT_NIK)) if r.event_type in NOTIFYING]
    nids = {r.payload["notification_id"] for r in records if r.payload.get("channel") == channel}
    return [
        (r.event_type, r.payload["attempt"], r.payload.get("error"), r.payload.get("final", False))
        for r in records
        if r.payload["notification_id"] in nids
    ]


async def verified(tier: ServiceTier) -> RecordedEvent:
    [decision] = await tier.events(tier.stream_of(ADULT_NIK), "RequestVerified")
    return decision


async def test_each_channel_tells_the_applicant_once(tier: ServiceTier) -> None:
    code = await submit(tier, form())
    [email], [sms] = tier.email.sent, tier.sms.sent
    assert (email.to, sms.to) == ("siti@example.id", "+6281234567890")
    assert code in email.subject
    assert email.text.startswith("Yth. Siti Aminah,")  # the letter greets by name
    assert sms.text.startswith(sms.subject)  # a text is short: subject and next step
    assert await trail(tier, "email") == [
        ("NotificationAttempted", 1, None, False),
        ("NotificationDelivered", 1, None, False),
    ]
    await tier.feed.deliver(await verified(tier))  # redelivered: nothing is sent again
    await tier.settled()
    assert (len(tier.email.tried), len(tier.sms.tried)) == (1, 1)


async def test_an_applicant_without_contacts_is_not_told(tier: ServiceTier) -> None:
    await submit(tier, form(applicant={"email": None, "phone": None}))
    assert tier.email.tried == tier.sms.tried == []
    assert await trail(tier, "email") == []


async def test_the_applicants_language_is_used(tier: ServiceTier) -> None:
    await submit(tier, form(applicant={"language": "en"}))
    [email] = tier.email.sent
    assert email.subject.endswith(": approved")
    assert email.text.startswith("Dear Siti Aminah,")


async def test_a_failed_send_is_retried_until_it_goes(tier: ServiceTier) -> None:
    tier.email.script.extend(["smtp:SMTPServerDisconnected", "ok"])
    await submit(tier, form())
    assert await trail(tier, "email") == [
        ("NotificationAttempted", 1, None, False),
        ("NotificationFailed", 1, "smtp:SMTPServerDisconnected", False),
        ("NotificationAttempted", 2, None, False),
        ("NotificationDelivered", 2, None, False),
    ]
    assert len(tier.email.sent) == 1
    assert {m.key for m in tier.email.tried} == {tier.email.sent[0].key}
    assert tier.dead(tier.notification_settings.dead_letter_topic) == []


async def test_a_send_failing_every_attempt_fails_for_good(tier: ServiceTier) -> None:
    attempts = tier.notification_settings.max_attempts
    tier.email.script.extend(["smtp:SMTPConnectError"] * attempts)
    await submit(tier, form())
    failures = [t for t in await trail(tier, "email") if t[0] == "NotificationFailed"]
    assert [(t[1], t[3]) for t in failures] == [(n, n == attempts) for n in range(1, attempts + 1)]
    [letter] = tier.dead(tier.notification_settings.dead_letter_topic)
    decision = await verified(tier)
    assert (letter["channel"], letter["cause_event_id"], letter["error"]) == (
        "email",
        decision.event_id,
        "smtp:SMTPConnectError",
    )
    assert ADULT_NIK not in json.dumps(letter)
    assert "siti@example.id" not in json.dumps(letter)
    assert len(tier.sms.sent) == 1  # the other channel is not held up
    await tier.feed.deliver(decision)  # redelivered: failed for good stays failed
    await tier.settled()
    assert len(tier.email.tried) == attempts


async def test_an_address_no_attempt_can_reach_fails_for_good_at_once(tier: ServiceTier) -> None:
    tier.email.script.append("permanent")  # e.g. an address recorded before it was checked
    await submit(tier, form())
    failures = [t for t in await trail(tier, "email") if t[0] == "NotificationFailed"]
    assert failures == [("NotificationFailed", 1, "email:invalid_address", True)]
    [letter] = tier.dead(tier.notification_settings.dead_letter_topic)
    assert letter["error"] == "email:invalid_address"
    assert len(tier.email.tried) == 1


async def test_an_email_whose_outcome_a_crash_left_unknown_is_not_sent_again(
    tier: ServiceTier,
) -> None:
    tier.email.script.append("crash")
    code = await submit(tier, form())
    [crash] = tier.feed.errors
    assert isinstance(crash, ProcessCrashError)
    tier.feed.errors.clear()  # the crash was the point; the tier fails on any other
    assert await trail(tier, "email") == [("NotificationAttempted", 1, None, False)]

    await tier.feed.deliver(await verified(tier))  # Kafka delivers it again after restart
    await tier.settled()
    assert await trail(tier, "email") == [
        ("NotificationAttempted", 1, None, False),
        ("NotificationFailed", 1, "outcome_unknown", True),
    ]
    assert len(tier.email.tried) == 1  # never twice: the first may have arrived
    assert len(tier.sms.sent) == 1
    assert (await status(tier, code))["status"] == "verified"


async def test_a_text_whose_outcome_is_unknown_is_sent_again_with_the_same_key(
    tier: ServiceTier,
) -> None:
    tier.sms.script.append("crash")
    await submit(tier, form())
    assert [type(e) for e in tier.feed.errors] == [ProcessCrashError]
    tier.feed.errors.clear()

    await tier.feed.deliver(await verified(tier))
    await tier.settled()
    assert await trail(tier, "sms") == [
        ("NotificationAttempted", 1, None, False),
        ("NotificationDelivered", 1, None, False),
    ]
    first, again = tier.sms.tried
    assert first.key == again.key  # the gateway drops the repeat if the first went through
    assert len(tier.email.sent) == 1


async def test_a_channel_that_is_down_is_waited_for_without_using_up_attempts(
    tier: ServiceTier,
) -> None:
    """Down more often than a message may fail: the message is not at fault, so it waits
    for the channel (probing it) and goes once, with no dead letter."""
    down = tier.notification_settings.max_attempts + 2
    tier.email.script.extend(["unreachable"] * down)
    await submit(tier, form())
    assert len(tier.email.sent) == 1
    assert tier.email.probes >= down
    failures = [t for t in await trail(tier, "email") if t[0] == "NotificationFailed"]
    assert len(failures) == down
    assert not any(final for *_, final in failures)
    assert tier.dead(tier.notification_settings.dead_letter_topic) == []
