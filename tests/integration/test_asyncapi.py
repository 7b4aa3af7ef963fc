"""The AsyncAPI documents (`make docs`, deploy/docs/) are valid for AsyncAPI's own parser
(@asyncapi/parser, installed by `make tools`), and they describe what really travels:
messages made by the real code paths (the in-memory service tier, every service's own
handlers) and published by the relay's publisher to the real Kafka validate against the
schema the documents give for them, headers included; so do the dead letters and every
example in the documents."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator

from deploy.docs import generate
from deploy.docs.asyncapi import event_names
from shared.event_schema import RecordedEvent
from shared.messaging.kafka import KafkaEventPublisher, make_broker
from tests.factories import form
from tests.unit.service_tier.requests import birth, submit
from tests.unit.service_tier.tier import ServiceTier, as_, service_tier

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / ".local" / "asyncapi"
CHECK = ROOT / "deploy" / "docs" / "asyncapi-check" / "check.cjs"
# Old versions nothing writes now (stored before sealing, or before an erasure's reason
# was sealed): their examples are checked, but no live message can be made.
NEVER_WRITTEN_NOW = {"RequestSubmitted.v1", "PersonalDataErased.v1", "ManualReviewDecided.v1"}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("api")
    generate.main(out)
    return {p.name.split(".")[0]: json.loads(p.read_text()) for p in out.glob("*.asyncapi.json")}


def validator(document: dict[str, Any], message: str, part: str = "payload") -> Any:
    """A validator for a message's payload (or headers), `$ref`s resolved in the document."""
    ref = document["components"]["messages"][message][part]
    schema = {**ref, "components": document["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_asyncapi_parser_finds_no_error(
    documents: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    if not (MODULES / "node_modules" / "@asyncapi" / "parser").exists():
        pytest.fail(f"@asyncapi/parser is not in {MODULES}: run `make tools` (part of setup)")
    files = []
    for name, document in documents.items():
        files.append(tmp_path / f"{name}.asyncapi.json")
        files[-1].write_text(json.dumps(document))
    done = subprocess.run(
        ["node", str(CHECK), str(MODULES), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [f for f in findings if f["severity"] == 0] == []
    assert {d["asyncapi"] for d in documents.values()} == {"3.0.0"}


def test_every_topic_says_what_travels_on_it(documents: dict[str, dict[str, Any]]) -> None:
    assert set(documents) == {"intake", "verification", "notification", "dashboard", "events"}
    for name in ("verification", "notification", "dashboard", "events"):
        [events] = [
            c for c in documents[name]["channels"].values() if c["address"] == "jemput.events.v1"
        ]
        assert set(events["messages"]) == set(event_names())
    assert "RequestSubmitted.v2" in event_names()
    for document in documents.values():
        schemas = json.dumps(document["components"]["schemas"])
        assert '"format": "binary"' not in schemas  # FastStream's placeholder is gone
        for operation in document["operations"].values():
            assert operation["messages"], operation


def test_every_example_validates_against_its_own_schema(
    documents: dict[str, dict[str, Any]],
) -> None:
    checked = 0
    for document in documents.values():
        for name, message in document["components"]["messages"].items():
            for example in message["examples"]:
                validator(document, name).validate(example["payload"])
                if "headers" in message:
                    validator(document, name, "headers").validate(example["headers"])
                checked += 1
    assert checked >= len(event_names()) + 3


# ---- real messages ------------------------------------------------------------------
MISMATCH = form(applicant={"birth_date": "1990-03-16"})  # manual review


async def _one_of_each(tier: ServiceTier, scenario: str) -> None:
    officer, verifier = as_("officer-1"), as_("verifier-1")
    if scenario == "verified, an email that fails for good, then erased":
        tier.email.script.extend(["smtp_550"] * tier.notification_settings.max_attempts)
        await submit(tier, form())
        erased = await tier.audit.post(
            f"/v1/audit/streams/{tier.stream_of(form()['applicant']['nik'])}/erasure",
            params={"case": "INSP-2026-041"},
            json={"classes": ["contact"], "reason": "asked by the applicant"},
            headers=as_("auditor-1"),
        )
        assert erased.status_code == 200, erased.text
    elif scenario == "manual review: documents asked, supplied, reviewed again, decided":
        code = await submit(tier, MISMATCH)
        ask = {"outcome": "documents_requested", "documents": ["family_card"], "reason": "KK?"}
        for decision in (ask, {"approved": True, "reason": "ok"}):
            await tier.verification.post(f"/v1/reviews/{code}/claim", headers=verifier)
            decided = await tier.verification.post(
                f"/v1/reviews/{code}/decision", json=decision, headers=verifier
            )
            assert decided.status_code == 204, decided.text
            if decision is ask:
                supplied = await tier.intake.post(
                    f"/v1/requests/{code}/documents",
                    json={"documents": ["family_card"]},
                    headers=officer,
                )
                assert supplied.status_code == 204, supplied.text
                await tier.settled()
    elif scenario == "documents requested, then supplied":
        code = await submit(tier, {**birth(), "documents": ["birth_letter"]})
        docs = {"documents": ["family_card", "marriage_record"]}
        supplied = await tier.intake.post(
            f"/v1/requests/{code}/documents", json=docs, headers=officer
        )
        assert supplied.status_code == 204, supplied.text
    elif scenario == "withdrawn":
        code = await submit(tier, {**birth(), "documents": []})
        gone = await tier.intake.post(
            f"/v1/requests/{code}/withdraw", json={"reason": "pindah"}, headers=officer
        )
        assert gone.status_code == 204, gone.text
    elif scenario == "rejected; unreadable messages on both topics":
        await submit(tier, form("skds"))
        await tier.broker.publish(b"{broken", tier.intake_settings.intake_topic, key=b"d")
        await tier.broker.publish(b"not an event", tier.intake_settings.events_topic, key=b"d")
    await tier.settled()


SCENARIOS = (
    "verified, an email that fails for good, then erased",
    "manual review: documents asked, supplied, reviewed again, decided",
    "documents requested, then supplied",
    "withdrawn",
    "rejected; unreadable messages on both topics",
)


async def real_messages() -> tuple[list[RecordedEvent], list[tuple[str, dict[str, Any]]]]:
    """Every stored event and dead letter the scenarios made, each in a fresh tier."""
    records: list[RecordedEvent] = []
    letters: list[tuple[str, dict[str, Any]]] = []
    for scenario in SCENARIOS:
        async with service_tier() as tier:
            await _one_of_each(tier, scenario)
            assert tier.feed.errors == [], scenario
            records += tier.feed.published
            letters += [(t, entry) for t, entries in tier.dead_letters.items() for entry in entries]
    return records, letters


async def through_kafka(records: list[RecordedEvent], bootstrap: str) -> list[Any]:
    """Published by the relay's publisher to a topic of our own, read back as bytes."""
    topic = f"test.asyncapi.{uuid.uuid4().hex[:8]}"
    broker = make_broker(bootstrap, "test-asyncapi")
    await broker.start()
    try:
        await KafkaEventPublisher(broker, lambda _: topic).publish(records)
    finally:
        await broker.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        got: list[Any] = []
        while len(got) < len(records):
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            got += [m for messages in batch.values() for m in messages]
        return got
    finally:
        await consumer.stop()


def headers_of(message: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in message.headers}


async def test_real_messages_validate_against_the_documents(
    documents: dict[str, dict[str, Any]], kafka_bootstrap: str
) -> None:
    records, letters = await real_messages()
    events = documents["events"]
    seen: set[str] = set()
    for message in await through_kafka(records, kafka_bootstrap):
        headers, value = headers_of(message), json.loads(message.value)
        name = f"{headers['event_type']}.v{value['schema_version']}"
        validator(events, name).validate(value)
        validator(events, name, "headers").validate(headers)
        assert message.key.decode() == value["stream_id"]
        seen.add(name)
    assert seen == set(event_names()) - NEVER_WRITTEN_NOW
    kinds: set[str] = set()
    for topic, entry in letters:
        name = "NotificationGaveUp" if "notification_id" in entry else "DeadLetter"
        validator(documents["notification"], name).validate(entry)
        kinds.add(f"{name}:{entry.get('reason', topic)}")
    assert kinds >= {"DeadLetter:invalid", "DeadLetter:not_an_event"}
    assert any(k.startswith("NotificationGaveUp") for k in kinds)


def test_a_message_the_documents_do_not_describe_fails(
    documents: dict[str, dict[str, Any]],
) -> None:
    example = documents["verification"]["components"]["messages"]["RequestSubmitted.v2"]
    payload = json.loads(json.dumps(example["examples"][0]["payload"]))
    payload["payload"]["form"]["applicant"]["nik"] = "3174011503900001"  # in clear: refused
    errors: Iterator[Any] = validator(documents["verification"], "RequestSubmitted.v2").iter_errors(
        payload
    )
    assert [e.json_path for e in errors] == ["$.payload.form.applicant.nik"]
