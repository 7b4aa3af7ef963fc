"""`Instant`: a moment as the APIs take it, ISO 8601 text with a zone, and nothing else."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_text(value: object) -> object:
    # Pydantic also takes a number as seconds since 1970, and a schema reader cannot know;
    # a time is written out, with its zone.
    if isinstance(value, str) and ISO_MOMENT.match(value):
        return value
    if isinstance(value, str | int | float):
        raise ValueError(
            "must be an ISO 8601 date and time with a zone, e.g. 2026-12-01T09:30+07:00"
        )
    return value  # a datetime, from Python


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
