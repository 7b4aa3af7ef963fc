"""Sealing and opening personal fields: round trip, binding, erasure, rotation, old events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from shared.domain.events import RequestSubmitted, registry
from shared.event_schema import NewEvent, RecordedEvent
from shared.privacy.crypto import (
    FieldCipher,
    Keyring,
    UnreadableError,
    kek_from_secret,
    new_data_key,
)
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import MARKER, MissingDataKeyError, PersonalData
from shared.privacy.policy import ERASED, RetentionPolicy
from shared.retention import load_policy
from shared.settings import InfraSettings
from tests.factories import request_form

STREAM, OTHER = "stream-a", "stream-b"
CLEAR = ("Siti Aminah", "3174011503900001", "Jl. Tebet Raya", "siti@example.id", "6281234567890")


def keyring(*ids: str) -> Keyring:
    return Keyring(ids[0], {i: kek_from_secret(i, f"secret-of-{i}-0123456789abcdef") for i in ids})


def personal(keys: InMemoryDataKeys | None = None, ring: Keyring | None = None) -> PersonalData:
    policy = load_policy("jaksel-2026.12")
    return PersonalData(keys or InMemoryDataKeys(), ring or keyring("k1"), policy, load_policy)


def submitted(kind: str = "skds") -> NewEvent:
    event = RequestSubmitted(
        request_id="r-1",
        tracking_code="JB-TEST",
        form=request_form(kind),
        submitted_by="officer-1",
        channel="http",
    )
    return registry.to_new_event(event, event_id="e-1")


def recorded(new: NewEvent, stream_id: str = STREAM, version: int = 1) -> RecordedEvent:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    return RecordedEvent(
        **new.model_dump(),
        stream_id=stream_id,
        version=version,
        position=version,
        recorded_at=now,
        key_id="test",
        prev_hash="",
        hash="h",
    )


def form_of(record: RecordedEvent) -> Any:
    event = registry.load(record)
    assert isinstance(event, RequestSubmitted)
    return event.form


async def test_a_sealed_event_holds_no_personal_data_and_opens_to_what_it_was() -> None:
    data = personal()
    plain = submitted()
    sealed = await data.sealed(STREAM, plain)
    text = json.dumps(sealed.payload)
    assert not [value for value in CLEAR if value in text]
    assert "Kemang" not in text  # the SKDS city address
    assert sealed.payload[MARKER] == {"policy": "jaksel-2026.12"}
    assert sealed.payload["form"]["outreach_point"] == plain.payload["form"]["outreach_point"]
    assert sealed.payload["tracking_code"] == "JB-TEST"
    [opened] = await data.opened([recorded(sealed)])
    assert opened.payload == plain.payload
    assert form_of(opened) == request_form("skds")


async def test_sealing_again_gives_the_same_ciphertext_for_idempotent_retries() -> None:
    data = personal()
    assert (await data.sealed(STREAM, submitted())).payload == (
        await data.sealed(STREAM, submitted())
    ).payload


def test_ciphertext_is_bound_to_its_stream_and_field() -> None:
    cipher = FieldCipher(new_data_key())
    box = cipher.seal(STREAM, "form.applicant.address", "Jl. Tebet Raya 1")
    assert cipher.open(STREAM, "form.applicant.address", box) == "Jl. Tebet Raya 1"
    with pytest.raises(UnreadableError):
        cipher.open(OTHER, "form.applicant.address", box)
    with pytest.raises(UnreadableError):
        cipher.open(STREAM, "form.applicant.email", box)


async def test_ciphertext_moved_to_another_field_or_applicant_does_not_open() -> None:
    data = personal()
    sealed = (await data.sealed(STREAM, submitted())).payload
    swapped = json.loads(json.dumps(sealed))
    applicant = swapped["form"]["applicant"]
    applicant["email"], applicant["address"] = applicant["address"], applicant["email"]
    with pytest.raises(UnreadableError):
        await data.opened([recorded(submitted().model_copy(update={"payload": swapped}))])
    # Another applicant's stream: their keys differ, the legal record's key is not theirs.
    await data.sealed(OTHER, submitted())
    moved = submitted().model_copy(update={"payload": sealed})
    with pytest.raises((UnreadableError, MissingDataKeyError)):
        await data.opened([recorded(moved, OTHER)])


async def test_erased_contact_data_reads_as_erased_and_the_legal_record_stays() -> None:
    keys = InMemoryDataKeys()
    data = personal(keys)
    record = recorded(await data.sealed(STREAM, submitted()))
    assert await data.destroy(STREAM, ["contact"])
    [opened] = await personal(keys).opened([record])  # another process: nothing cached
    form = form_of(opened)
    assert (form.applicant.address, form.applicant.email, form.applicant.phone) == (
        ERASED,
        None,
        None,
    )
    assert getattr(form.details, "city_address", None) == ERASED
    assert (form.applicant.full_name, form.applicant.nik) == ("Siti Aminah", "3174011503900001")
    with pytest.raises(ValueError, match="not erasable"):
        await data.destroy(STREAM, ["legal"])
    await keys.destroy(f"{STREAM}:legal")  # a kept key lost: loud, never read as erased
    with pytest.raises(MissingDataKeyError):
        await personal(keys).opened([record])


async def test_a_new_contact_key_after_an_erasure_does_not_open_the_old_ciphertext() -> None:
    keys = InMemoryDataKeys()
    data = personal(keys)
    old = recorded(await data.sealed(STREAM, submitted()))
    await data.destroy(STREAM, ["contact"])
    new = recorded(await data.sealed(STREAM, submitted()), version=2)
    opened_old, opened_new = await personal(keys).opened([old, new])
    assert form_of(opened_old).applicant.email is None
    assert form_of(opened_new).applicant.email == "siti@example.id"


async def test_a_clear_text_v1_event_is_read_as_it_was_stored() -> None:
    v1 = submitted().model_copy(update={"schema_version": 1})
    [opened] = await personal().opened([recorded(v1)])
    assert opened.payload == v1.payload
    assert form_of(opened) == request_form("skds")
    assert RequestSubmitted.schema_version == 2


async def test_rotation_rewraps_every_key_and_old_ciphertext_still_opens() -> None:
    keys = InMemoryDataKeys()
    record = recorded(await personal(keys, keyring("k1")).sealed(STREAM, submitted()))
    rotated = personal(keys, keyring("k2", "k1"))
    assert await rotated.rotate() == 2  # legal and contact
    assert {k.kek_id async for k in keys.all()} == {"k2"}
    [opened] = await personal(keys, keyring("k2")).opened([record])  # k1 no longer needed
    assert form_of(opened) == request_form("skds")


async def test_a_wrong_kek_fails_at_start() -> None:
    keys = InMemoryDataKeys()
    await personal(keys, keyring("k1")).check()
    await personal(keys, keyring("k1")).check()
    with pytest.raises(RuntimeError, match="cannot open"):
        await personal(keys, Keyring("k1", {"k1": kek_from_secret("k1", "another")})).check()
    with pytest.raises(RuntimeError, match="not configured"):
        await personal(keys, keyring("k2")).check()


def test_a_weak_kek_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="JEMPUT_DATA_KEK"):
        InfraSettings(production=True).keyring()
    strong = SecretStr("9f2c4e1ab37d58c0e6f1a2b3c4d5e6f708192a3b")
    assert InfraSettings(production=True, data_kek=strong).keyring().current == "dev"
    with pytest.raises(ValueError, match="JEMPUT_DATA_OLD_KEKS"):
        InfraSettings(data_old_keks={"dev": strong}).keyring()


def test_the_retention_policy_names_each_personal_field_and_is_validated() -> None:
    policy = load_policy("jaksel-2026.12")
    fields = policy.fields_of("RequestSubmitted")
    contact = {p for p, c in fields.items() if c == "contact"}
    assert contact == {
        "form.applicant.address",
        "form.applicant.email",
        "form.applicant.phone",
        "form.details.city_address",
    }
    assert fields["form.applicant.nik"] == "legal"
    assert policy.erased_value("form.applicant.email") is None
    assert policy.erased_value("form.applicant.address") == ERASED
    for bad in ("jaksel-2099.01", "../rulesets/jaksel-2026.12"):
        with pytest.raises(LookupError):
            load_policy(bad)
    with pytest.raises(ValidationError):
        RetentionPolicy.model_validate(
            {**policy.model_dump(mode="json"), "erased_as_none": ["form.nowhere"]}
        )


def test_a_ciphertext_does_not_tell_the_length_of_what_it_hides() -> None:
    """A topic reader compared lengths: 36 bytes was "single", 38 "divorced"."""
    cipher = FieldCipher(new_data_key())
    sizes = {
        len(cipher.seal("applicant-1", "form.applicant.marital_status", status))
        for status in ("single", "married", "divorced", "widowed")
    }
    assert len(sizes) == 1
    assert (
        cipher.open("applicant-1", "x", cipher.seal("applicant-1", "x", "divorced")) == "divorced"
    )
