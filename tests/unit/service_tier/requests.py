"""Submitting and following requests in the tier, as an officer's device would."""

from __future__ import annotations

from typing import Any

from tests.unit.service_tier.tier import ServiceTier, as_


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
