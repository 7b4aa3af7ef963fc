"""A campaign is data: what it counts (request kinds), its targets per kecamatan, and its
window. Kept as a JSON file beside the service, like the rule sets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.requests import RequestKind


class Campaign(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(examples=["Jemput Bola Jakarta Selatan 2027 Q1"])
    kinds: tuple[RequestKind, ...] = Field(min_length=1)
    start: date
    deadline: date
    targets: dict[str, int] = Field(description="Requests to take, by kecamatan code")

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.deadline < self.start:
            raise ValueError("the deadline is before the start")
        return self

    @property
    def target(self) -> int:
        return sum(self.targets.values())


def load_campaign(path: Path) -> Campaign:
    return Campaign.model_validate_json(path.read_text())
