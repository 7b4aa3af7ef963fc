"""`Instant`: times are written out with their zone; a number is not a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.formats.instant import Instant

instant: TypeAdapter[datetime] = TypeAdapter(Instant)


def test_an_iso_time_with_its_zone_is_taken() -> None:
    taken = instant.validate_python("2026-12-01T09:30:00+07:00")
    assert taken == datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    assert instant.validate_json('"2026-12-01T02:30:00Z"') == taken.astimezone(UTC)


@pytest.mark.parametrize("given", [0.5, 1_764_000_000, "1764000000", True, "2026-12-01"])
def test_numbers_and_bare_dates_are_refused(given: object) -> None:
    with pytest.raises(ValidationError):
        instant.validate_python(given)


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        instant.validate_python("2026-12-01T09:30:00")
