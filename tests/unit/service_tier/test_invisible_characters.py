"""Invisible characters in names: refused at input with a field error (nothing stored), and
stripped from an email's greeting should a name stored before the refusal hold one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notification.templates import render
from shared.domain.applicant import RequestState
from shared.domain.events import RequestVerified
from shared.domain.requests import visible
from tests.factories import form, request_form
from tests.unit.service_tier.tier import ServiceTier, as_

INVISIBLE = [
    "\u2028",  # LINE SEPARATOR (Zl): a line break in the greeting
    "\u2029",  # PARAGRAPH SEPARATOR (Zp)
    "\u200b",  # ZERO WIDTH SPACE (Cf)
    "\u2066",  # LEFT-TO-RIGHT ISOLATE (Cf)
    "\u0085",  # NEXT LINE (Cc)
    "\ufeff",  # BYTE ORDER MARK (Cf)
]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("field", ["full_name", "address"])
async def test_a_name_with_an_invisible_character_is_refused_by_field(
    tier: ServiceTier, char: str, field: str
) -> None:
    body = form(applicant={field: f"Siti{char}Aminah"})
    response = await tier.intake.post("/v1/requests", json=body, headers=as_("officer-1"))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == f"applicant.{field}"
    assert "separator" in error["message"]
    assert "Siti" not in response.text
    assert not tier.recorder.documents


async def test_ordinary_spaces_and_letters_are_names() -> None:
    assert request_form(applicant={"full_name": "Ni Luh Putu Ayu Déwi"}).applicant.full_name


def test_a_greeting_never_carries_an_invisible_character() -> None:
    stored = request_form()  # as if stored before the refusal: constructed unchecked
    applicant = stored.applicant.model_copy(update={"full_name": "Siti\u2028Aminah\u200b"})
    state = RequestState(
        request_id="r-1",
        tracking_code="JB-TEST",
        form=stored.model_copy(update={"applicant": applicant}),
        submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
        submitted_by="officer-1",
    )
    verified = RequestVerified(
        request_id="r-1", rule_set_id="jaksel-2027.01", region_table="t", outcomes=()
    )
    _, _, text = render(verified, state, short=False)
    assert text.startswith("Yth. SitiAminah,\n\n")
    assert not set(text) & set(INVISIBLE)
    assert visible("a\u2029b c") == "ab c"
