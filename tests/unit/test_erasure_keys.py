"""An erasure's reason is sealed (old clear ones still read), and contact data given after
an erasure is sealed under a new key at once, in every process, whatever it caches."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.audit.erasure import erase
from shared.domain.events import PersonalDataErased, RequestSubmitted, registry
from shared.event_schema import RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.privacy.keys import InMemoryDataKeys, key_doc_id
from shared.privacy.personal_data import MARKER, PersonalData
from shared.repositories.histories import ApplicantHistories, ToRecord
from shared.retention import load_policy
from tests.factories import request_form

CHAIN = ChainKeys.single("test", "chain-key-0123456789abcdef")
REASON = "Permintaan Siti Aminah via telp"


def process(keys: InMemoryDataKeys, recorder: InMemoryRecorder) -> ApplicantHistories:
    """One process of jemput: its own stream and key caches over the shared stores."""
    ring = Keyring("k1", {"k1": kek_from_secret("k1", "kek-0123456789abcdef0123456789")})
    personal = PersonalData(keys, ring, load_policy("jaksel-2027.02"), load_policy)
    return ApplicantHistories(EventStore(recorder, CHAIN), b"pseudonym-0123456789", personal)


def submitted(n: int, email: str) -> ToRecord:
    form = request_form("ektp_recording", applicant={"email": email})
    event = RequestSubmitted(
        request_id=f"r-{n}",
        tracking_code=f"JB-{n}",
        form=form,
        submitted_by="officer-1",
        channel="http",
    )
    return ToRecord(event, f"submit-{n}")


async def test_an_erasure_reason_is_sealed_and_opens_for_the_auditor() -> None:
    keys, recorder = InMemoryDataKeys(), InMemoryRecorder()
    audit = process(keys, recorder)
    stream = audit.stream_of("3174011503900001")
    await audit.record(stream, lambda _: [submitted(1, "siti@example.id")])
    records = await audit.read(stream)
    await erase(audit, stream, records, ["contact"], "ERASE-1", "auditor-1", REASON)

    [stored] = [r for r in await audit.read(stream) if r.event_type == "PersonalDataErased"]
    assert REASON not in json.dumps(stored.payload)
    assert stored.payload[MARKER] == {"policy": "jaksel-2027.02"}
    assert stored.schema_version == 2
    assert stored.payload["key_refs"]  # what readers need stays in clear
    [opened] = await process(keys, recorder).personal.opened([stored])
    event = registry.load(opened)
    assert isinstance(event, PersonalDataErased)
    assert event.reason == REASON


async def test_an_old_erasure_stored_in_clear_is_upcast_on_read_as_it_is() -> None:
    v1_payload = {
        "classes": ["contact"],
        "key_refs": ["0a1b2c3d4e5f6a7b"],
        "case_reference": "ERASE-OLD",
        "erased_by": "auditor-1",
        "reason": REASON,
        "clear_events": 0,
    }
    stored = RecordedEvent(
        event_id="e-old",
        event_type="PersonalDataErased",
        schema_version=1,
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        payload=v1_payload,
        stream_id="s-1",
        version=2,
        position=2,
        recorded_at=datetime(2026, 12, 1, tzinfo=UTC),
        key_id="test",
        prev_hash="",
        hash="h",
    )
    [opened] = await process(InMemoryDataKeys(), InMemoryRecorder()).personal.opened([stored])
    assert opened.payload == v1_payload  # never rewritten
    event = registry.load(opened)
    assert isinstance(event, PersonalDataErased)
    assert (event.reason, event.key_refs) == (REASON, ("0a1b2c3d4e5f6a7b",))


async def test_contact_data_sent_right_after_an_erasure_gets_a_new_key_everywhere() -> None:
    keys, recorder = InMemoryDataKeys(), InMemoryRecorder()
    intake, notification, audit = (process(keys, recorder) for _ in range(3))
    stream = intake.stream_of("3174011503900001")
    await intake.record(stream, lambda _: [submitted(1, "old@example.id")])
    await notification.load(stream)  # both processes now cache the contact key
    await audit.load(stream)
    old_ref = (await audit.personal.key_refs(stream, ["contact"]))["contact"]

    await erase(audit, stream, await audit.read(stream), ["contact"], "E-1", "a", "asked")

    # At once, in the process that took the first request (its key and stream cached):
    _, [new] = await intake.record(stream, lambda _: [submitted(2, "new@example.id")])
    box = new.payload["form"]["applicant"]["email"]
    assert box["key"] != old_ref
    assert box["gen"] == 1
    history = await notification.load(stream)
    assert history.requests["r-2"].form.applicant.email == "new@example.id"
    assert history.requests["r-1"].form.applicant.email is None
    assert key_doc_id(stream, "contact", 1) in keys.keys
    assert key_doc_id(stream, "contact") not in keys.keys

    # A second erasure destroys the new generation; a third request gets the next one.
    await erase(audit, stream, await audit.read(stream), ["contact"], "E-2", "a", "again")
    _, [third] = await intake.record(stream, lambda _: [submitted(3, "third@example.id")])
    assert third.payload["form"]["applicant"]["email"]["gen"] == 2
    again = await notification.load(stream)
    assert again.requests["r-2"].form.applicant.email is None
    assert again.requests["r-3"].form.applicant.email == "third@example.id"


async def test_a_process_that_sees_an_erasure_on_the_topic_drops_the_key_it_caches() -> None:
    keys, recorder = InMemoryDataKeys(), InMemoryRecorder()
    intake, consumer = process(keys, recorder), process(keys, recorder)
    stream = intake.stream_of("3174011503900001")
    _, [first] = await intake.record(stream, lambda _: [submitted(1, "old@example.id")])
    opened = await consumer.personal.open_one(first)  # caches the contact key
    assert opened.payload["form"]["applicant"]["email"] == "old@example.id"
    await erase(intake, stream, await intake.read(stream), ["contact"], "E-1", "a", "asked")
    [erasure] = (await intake.read(stream))[-1:]
    await consumer.personal.open_one(erasure)  # as the events consumer does with each event
    again = await consumer.personal.open_one(first)  # one event alone: no erasure beside it
    assert again.payload["form"]["applicant"]["email"] is None
