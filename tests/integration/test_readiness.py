"""/health/ready says what a service can do: a consumer needs Kafka to be ready; intake
takes requests without it (the log is the truth), so it stays ready and says Kafka is away."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.settings import VerificationSettings
from shared.settings import InfraSettings

NO_KAFKA = "127.0.0.1:1"  # nothing listens there


async def ready(app: FastAPI) -> httpx.Response:
    # No lifespan: the broker is never started, as when Kafka was away at start-up.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return await client.get("/health/ready")


async def test_a_consumer_without_kafka_is_not_ready(settings: InfraSettings) -> None:
    app = verification_app(
        VerificationSettings(mongo_url=settings.mongo_url, kafka_bootstrap=NO_KAFKA)
    )
    answer = await ready(app)
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["kafka"]


async def test_intake_without_kafka_is_ready_and_says_so(settings: InfraSettings) -> None:
    app = intake_app(IntakeSettings(mongo_url=settings.mongo_url, kafka_bootstrap=NO_KAFKA))
    answer = await ready(app)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "failed": [], "degraded": ["kafka"]}
