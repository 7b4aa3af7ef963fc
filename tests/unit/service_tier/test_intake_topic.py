"""Intake from the intake topic: the same checks as HTTP; whatever cannot be taken goes
to the dead-letter topic with field-level reasons, never the values sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from services.intake import kafka
from services.intake.handlers import submit as real_submit
from tests.factories import ADULT_NIK, form
from tests.unit.service_tier.tier import ServiceTier


async def send(tier: ServiceTier, body: bytes | dict[str, Any]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    await tier.broker.publish(raw, tier.intake_settings.intake_topic, key=b"device")
    await tier.settled()


def dead(tier: ServiceTier) -> list[dict[str, Any]]:
    return tier.dead(tier.intake_settings.intake_dead_letter_topic)


async def test_a_submission_is_stored_once_however_often_it_comes(tier: ServiceTier) -> None:
    good = {**form(), "request_id": "kafka-req-0001"}
    await send(tier, good)
    await send(tier, good)
    [submitted] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    assert submitted.payload["channel"] == "kafka"
    assert submitted.payload["submitted_by"] == "kafka:" + tier.intake_settings.intake_topic
    assert dead(tier) == []
    assert len(tier.email.sent) == 1  # verified and told, once


async def test_not_json_is_dead_lettered_and_the_consumer_goes_on(tier: ServiceTier) -> None:
    await send(tier, b"{broken")
    await send(tier, {**form(), "request_id": "kafka-req-0002"})
    [letter] = dead(tier)
    assert (letter["reason"], letter["errors"]) == (
        "invalid",
        [{"field": "body", "error": "json_invalid", "message": "not JSON"}],
    )
    assert letter["source"]["topic"] == tier.intake_settings.intake_topic
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1


async def test_an_invalid_form_is_dead_lettered_by_field_without_the_value(
    tier: ServiceTier,
) -> None:
    await send(tier, {**form(applicant={"nik": "31740115039"}), "request_id": "kafka-req-0003"})
    [letter] = dead(tier)
    assert letter["reason"] == "invalid"
    assert [e["field"] for e in letter["errors"]] == ["applicant.nik"]
    assert "31740115039" not in json.dumps(letter["errors"])
    assert tier.recorder.documents == {}


async def test_a_submission_without_request_id_is_dead_lettered(tier: ServiceTier) -> None:
    await send(tier, form())
    [letter] = dead(tier)
    assert letter["reason"] == "invalid"
    assert letter["errors"] == [
        {
            "field": "request_id",
            "error": "missing",
            "message": "request_id is required on the intake topic",
        }
    ]
    assert tier.recorder.documents == {}


async def test_a_reused_request_id_is_dead_lettered_as_a_conflict(tier: ServiceTier) -> None:
    await send(tier, {**form(), "request_id": "kafka-req-0004"})
    await send(tier, {**form(applicant={"address": "Jl. Lain 2"}), "request_id": "kafka-req-0004"})
    [letter] = dead(tier)
    assert letter["reason"] == "conflict"
    assert letter["errors"] == [
        {
            "field": "request_id",
            "error": "conflict",
            "message": "request id already used for a different request",
        }
    ]
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1


def poison() -> list[tuple[bytes, str]]:
    """What the probe stored from the topic (and what looped there), with the error kind
    each must be dead-lettered for."""
    good = {**form(), "request_id": "kafka-poison-01"}
    text = json.dumps(good)
    duplicate_nik = text.replace('"nik": ', '"nik": "3273010202950003", "nik": ', 1)
    padded = {**good, "details": {"kind": "ektp_recording"}, "pad": " " * (300 * 1024)}
    return [
        (duplicate_nik.encode(), "duplicate_key"),
        (text.encode("utf-16"), "encoding"),
        (b"\xef\xbb\xbf" + text.encode(), "encoding"),
        (json.dumps(padded).encode(), "too_large"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
        (b"", "json_invalid"),
    ]


@pytest.mark.parametrize(("body", "error"), poison())
async def test_a_body_http_would_refuse_is_dead_lettered_and_the_next_is_taken(
    tier: ServiceTier, body: bytes, error: str
) -> None:
    await send(tier, body)
    await send(tier, {**form(), "request_id": "kafka-after-01"})
    [letter] = dead(tier)
    assert (letter["reason"], letter["errors"][0]["field"]) == ("invalid", "body")
    assert letter["errors"][0]["error"] == error
    assert letter["body_bytes"] == len(body)
    [stored] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    assert stored.payload["request_id"].endswith(":kafka-after-01")


async def test_whatever_else_goes_wrong_is_dead_lettered_not_redelivered(
    tier: ServiceTier, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    async def broken(*args: Any) -> None:
        calls.append(args)
        raise RecursionError  # not a ValueError, not a store outage

    monkeypatch.setattr(kafka, "submit", broken)
    await send(tier, {**form(), "request_id": "kafka-broken-01"})
    [letter] = dead(tier)
    assert letter["reason"] == "error"
    assert letter["errors"][0]["message"] == "could not be taken (RecursionError)"
    assert len(calls) == 1  # once: no redelivery loop


async def test_a_huge_body_is_kept_cut_short_in_its_dead_letter(tier: ServiceTier) -> None:
    within = b"x" * (kafka.KEPT_BODY_BYTES + 10)  # could be taken after a fix: kept whole
    beyond = b"x" * (tier.intake_settings.max_body_bytes + 1)
    undecodable = b"\xff" * (kafka.KEPT_BODY_BYTES + 10)
    for body in (within, beyond, undecodable):
        await send(tier, body)
    assert [(d["body_bytes"], d["body_truncated"]) for d in dead(tier)] == [
        (len(within), False),
        (len(beyond), True),
        (len(undecodable), True),
    ]


async def test_a_store_outage_is_waited_out_not_dead_lettered(
    tier: ServiceTier, monkeypatch: pytest.MonkeyPatch
) -> None:
    outages = [ServerSelectionTimeoutError("down")] * 2

    async def flaky(*args: Any) -> Any:
        if outages:
            raise outages.pop()
        return await real_submit(*args)

    monkeypatch.setattr(kafka, "submit", flaky)
    monkeypatch.setattr(kafka, "FIRST_PAUSE_SECONDS", 0.01)
    await send(tier, {**form(), "request_id": "kafka-outage-01"})
    assert dead(tier) == []
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1
