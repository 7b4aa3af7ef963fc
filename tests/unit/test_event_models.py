"""Event models: frozen, strict, millisecond UTC timestamps, registered by type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.event_schema import DomainEvent, EventRegistry, NewEvent, UnknownEventError, utc_millis

registry = EventRegistry()


@registry.register
class ParcelPosted(DomainEvent):
    event_type = "ParcelPosted"
    schema_version = 1
    weight_grams: int


def test_utc_millis_cuts_to_milliseconds_in_utc() -> None:
    jakarta = timezone(timedelta(hours=7))
    moment = datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=jakarta)
    assert utc_millis(moment) == datetime(2026, 11, 29, 2, 30, 15, 123000, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        utc_millis(datetime(2026, 11, 29))


def test_domain_events_are_frozen_and_reject_unknown_fields() -> None:
    posted = ParcelPosted(weight_grams=5)
    with pytest.raises(ValidationError):
        posted.weight_grams = 6  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        ParcelPosted(weight_grams=5, colour="red")  # type: ignore[call-arg]


def test_new_event_needs_an_aware_time_and_keeps_milliseconds() -> None:
    with pytest.raises(ValidationError):
        NewEvent(event_type="X", schema_version=1, payload={}, occurred_at=datetime(2026, 1, 1))
    event = NewEvent(
        event_type="X",
        schema_version=1,
        payload={},
        occurred_at=datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC),
    )
    assert event.occurred_at.microsecond == 999000
    assert event.event_id != NewEvent(event_type="X", schema_version=1, payload={}).event_id


def test_registry_wraps_a_domain_event_with_its_type_and_version() -> None:
    new = registry.to_new_event(ParcelPosted(weight_grams=5), correlation_id="c-1")
    assert (new.event_type, new.schema_version, new.payload) == (
        "ParcelPosted",
        1,
        {"weight_grams": 5},
    )
    assert new.correlation_id == "c-1"


def test_registry_refuses_unregistered_types() -> None:
    class Stray(DomainEvent):
        event_type = "Stray"

    with pytest.raises(UnknownEventError):
        registry.to_new_event(Stray())
    with pytest.raises(UnknownEventError):
        registry.model_for("Nope")


def test_a_type_cannot_be_registered_twice() -> None:
    class Again(DomainEvent):
        event_type = "ParcelPosted"

    with pytest.raises(ValueError, match="twice"):
        registry.register(Again)
