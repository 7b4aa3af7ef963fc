"""Old event versions are brought forward on read; the stored record is never rewritten."""

from __future__ import annotations

import pytest

from shared.event_schema import DomainEvent, EventRegistry, UnknownEventError
from shared.event_schema.base import JsonObject, NewEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore

registry = EventRegistry()


@registry.register
class RequestFiled(DomainEvent):
    """v1 had `name`; v2 split it; v3 added `channel` (default: counter)."""

    event_type = "RequestFiled"
    schema_version = 3
    given_name: str
    family_name: str
    channel: str


@registry.upcaster("RequestFiled", from_version=1)
def _split_name(payload: JsonObject) -> JsonObject:
    given, _, family = payload.pop("name").partition(" ")
    return {**payload, "given_name": given, "family_name": family}


@registry.upcaster("RequestFiled", from_version=2)
def _add_channel(payload: JsonObject) -> JsonObject:
    return {**payload, "channel": "counter"}


def old(version: int, payload: JsonObject) -> NewEvent:
    return NewEvent(event_type="RequestFiled", schema_version=version, payload=payload)


async def test_each_old_version_reads_as_the_current_model() -> None:
    store = EventStore(InMemoryRecorder(), ChainKeys.single("k", "k" * 16))
    await store.append(
        "s",
        [
            old(1, {"name": "Siti Aminah"}),
            old(2, {"given_name": "Budi", "family_name": "Santoso"}),
            old(3, {"given_name": "A", "family_name": "B", "channel": "school"}),
        ],
        expected_version=0,
    )
    records = await store.read_stream("s")
    loaded = [registry.load(r) for r in records]
    assert loaded == [
        RequestFiled(given_name="Siti", family_name="Aminah", channel="counter"),
        RequestFiled(given_name="Budi", family_name="Santoso", channel="counter"),
        RequestFiled(given_name="A", family_name="B", channel="school"),
    ]
    # Reading changed nothing stored: the v1 record still says v1, with its old payload.
    again = await store.read_stream("s")
    assert (again[0].schema_version, again[0].payload) == (1, {"name": "Siti Aminah"})
    assert (await store.verify()).ok


def test_an_upcaster_gets_a_copy_not_the_stored_payload() -> None:
    stored = {"name": "Siti Aminah"}
    registry.upcast("RequestFiled", 1, stored)
    assert stored == {"name": "Siti Aminah"}


def test_a_missing_step_or_a_future_version_is_an_error() -> None:
    gaps = EventRegistry()

    @gaps.register
    class Gappy(DomainEvent):
        event_type = "Gappy"
        schema_version = 2

    with pytest.raises(UnknownEventError, match="no upcaster for Gappy v1"):
        gaps.upcast("Gappy", 1, {})
    with pytest.raises(UnknownEventError, match="newer"):
        gaps.upcast("Gappy", 3, {})


def test_two_upcasters_for_one_step_are_refused() -> None:
    with pytest.raises(ValueError, match="two upcasters"):
        registry.upcaster("RequestFiled", from_version=1)(lambda p: p)
