"""Jakarta's calendar: the office works in WIB, so a request's dates are Jakarta dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def local_date(moment: datetime) -> date:
    """The date in Jakarta at `moment` (an aware datetime)."""
    return moment.astimezone(WIB).date()
