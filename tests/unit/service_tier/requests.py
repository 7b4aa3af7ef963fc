"""Submitting and following requests in the tier, as an officer's device would."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.factories import form
from tests.unit.service_tier.tier import ServiceTier, as_


def birth(**details: Any) -> dict[str, Any]:
    """A birth certificate request, the child born ten days ago (the factory's fixed date
    would one day be a late registration), every document there."""
    child = {"child_birth_date": (date.today() - timedelta(days=10)).isoformat(), **details}
    return form("birth_certificate", details=child)


async def submit(tier: ServiceTier, body: dict[str, Any], settle: bool = True) -> str:
    """Submit over HTTP; return the tracking code once everything it set off is done."""
    response = await tier.intake.post("/v1/requests", json=body, headers=as_("officer-1"))
    assert response.status_code == 201, response.text
    if settle:
        await tier.settled()
    return str(response.json()["tracking_code"])


async def status(tier: ServiceTier, code: str) -> dict[str, Any]:
    response = await tier.intake.get(f"/v1/status/{code}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view
