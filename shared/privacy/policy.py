"""A retention policy: which personal field of which event belongs to which data class.

`legal` fields are the civil-registration record and are kept; `contact` fields are
erasable, on request or `contact_days_after_close` days after a request is closed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What an erased required text field reads as, everywhere (history, review, emails):
# one spelling, so that every reader can test for it.
ERASED = "(erased)"


class DataClass(StrEnum):
    LEGAL = "legal"  # the legal record: kept, never erased
    CONTACT = "contact"  # erasable
    DEAD_LETTER = "dead_letter"  # bodies of dead letters (a key per month)


ERASABLE = frozenset({DataClass.CONTACT})


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{2,63}$")
    description: str
    contact_days_after_close: int = Field(ge=0, le=3650)
    # event type -> dotted payload path -> class; paths absent from a payload are skipped
    events: dict[str, dict[str, DataClass]]
    erased_as_none: frozenset[str] = frozenset()  # optional fields: read as None once erased

    @model_validator(mode="after")
    def _known_fields(self) -> RetentionPolicy:
        paths = {p for fields in self.events.values() for p in fields}
        if stray := self.erased_as_none - paths:
            raise ValueError(f"erased_as_none names fields of no event: {sorted(stray)}")
        for fields in self.events.values():
            if DataClass.DEAD_LETTER in fields.values():
                raise ValueError("dead_letter is not a class of event fields")
        return self

    def fields_of(self, event_type: str) -> dict[str, DataClass]:
        return self.events.get(event_type, {})

    def erased_value(self, path: str) -> str | None:
        return None if path in self.erased_as_none else ERASED
