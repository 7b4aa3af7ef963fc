"""An intake app on the real stack, driven in-process through its ASGI interface."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from services.intake.bootstrap import create_app
from services.intake.settings import IntakeSettings
from shared.web.http import ApiKey, Role, key_digest

OFFICER_KEY = "officer-key-" + "x" * 20
AUDITOR_KEY = "auditor-key-" + "y" * 20


def intake_settings(db: str, **changes: object) -> IntakeSettings:
    return IntakeSettings(
        mongo_db=db,
        intake_topic=f"test.intake.{uuid.uuid4().hex[:8]}",
        intake_dead_letter_topic=f"test.intake.dlq.{uuid.uuid4().hex[:8]}",
        api_keys={
            "officer-1": ApiKey(role=Role.OFFICER, sha256=key_digest(OFFICER_KEY)),
            "auditor-1": ApiKey(role=Role.AUDITOR, sha256=key_digest(AUDITOR_KEY)),
        },
        **changes,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def intake(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers={"X-API-Key": OFFICER_KEY}
        ) as client:
            yield client
