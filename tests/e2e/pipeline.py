"""The whole pipeline on the real stack, in this process: intake, relay, verification
(and notification), each built by its own bootstrap with test settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notification.bootstrap import create_app as notification_app
from services.notification.settings import NotificationSettings
from services.relay.bootstrap import create_app as relay_app
from services.relay.settings import RelaySettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.settings import VerificationSettings
from shared.runtime import mongo_client
from shared.settings import ServiceSettings
from shared.web.http import ApiKey, Role, key_digest
from tests.e2e.receivers import Mailbox, smtp_server

Clients = Callable[[str, ServiceSettings], AsyncMongoClient[dict[str, Any]]]


def default_clients(name: str, settings: ServiceSettings) -> AsyncMongoClient[dict[str, Any]]:
    return mongo_client(settings)


KEYS = {
    "officer-1": (Role.OFFICER, "officer-key-0123456789"),
    "verifier-1": (Role.VERIFIER, "verifier-key-0123456789"),
    "verifier-2": (Role.VERIFIER, "verifier2-key-0123456789"),
    "auditor-1": (Role.AUDITOR, "auditor-key-0123456789"),
    "supervisor-1": (Role.SUPERVISOR, "supervisor-key-0123456789"),
}


def common(db: str) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "mongo_db": db,
        "events_topic": f"test.events.{suffix}",
        # Groups of its own: a test's consumers never wait on another test's in a rebalance.
        "kafka_group_prefix": f"test-{suffix}",
        "api_keys": {n: ApiKey(role=r, sha256=key_digest(k)) for n, (r, k) in KEYS.items()},
        "chain_key_id": "test",
        "chain_key": "test-chain-key-0123456789",
    }


@dataclass
class Pipeline:
    intake: httpx.AsyncClient
    verification: httpx.AsyncClient
    notification: httpx.AsyncClient
    settings: ServiceSettings
    verification_dead_letters: str
    notification_dead_letters: str
    mailbox: Mailbox

    @staticmethod
    def as_(name: str) -> dict[str, str]:
        return {"X-API-Key": KEYS[name][1]}


@asynccontextmanager
async def pipeline(
    db: str,
    sms_url: str | None = None,
    clients: Clients = default_clients,
    smtp: tuple[Mailbox, int] | None = None,
    publish_appends: bool = True,
) -> AsyncIterator[Pipeline]:
    """The services, the relay and a real SMTP server (`Pipeline.mailbox`) for this test.
    `clients(name, settings)` gives each part its database client (to watch its commands);
    `smtp` is a server the test runs itself (to stop and start it); without
    `publish_appends` the services leave every event to the relay."""
    shared = {**common(db), "publish_appends": publish_appends}
    if smtp is not None:
        async with _services(shared, smtp[1], sms_url, smtp[0], clients) as running:
            yield running
        return
    with smtp_server() as (mailbox, smtp_port):
        async with _services(shared, smtp_port, sms_url, mailbox, clients) as running:
            yield running


@asynccontextmanager
async def _services(
    shared: dict[str, Any],
    smtp_port: int,
    sms_url: str | None,
    mailbox: Mailbox,
    clients: Clients,
) -> AsyncIterator[Pipeline]:
    # The tests poll the status as a harness, not as an applicant (the limit has its own).
    intake_settings = IntakeSettings(**shared, status_limit_per_minute=100_000)
    notification_settings = NotificationSettings(
        **shared,
        smtp_port=smtp_port,
        sms_gateway_url=sms_url,
        backoff_seconds=0.05,
        max_attempts=3,
        dead_letter_topic=f"test.notification.dlq.{uuid.uuid4().hex[:8]}",
    )
    verification_settings = VerificationSettings(
        **shared, dead_letter_topic=f"test.verification.dlq.{uuid.uuid4().hex[:8]}"
    )
    relay_settings = RelaySettings(**shared, relay_idle_seconds=0.05)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            _serve_cm(relay_app(relay_settings, clients("relay", relay_settings)), "relay")
        )
        intake = await stack.enter_async_context(
            _serve_cm(intake_app(intake_settings, clients("intake", intake_settings)), "intake")
        )
        verification = await stack.enter_async_context(
            _serve_cm(
                verification_app(
                    verification_settings, clients("verification", verification_settings)
                ),
                "verification",
            )
        )
        notification = await stack.enter_async_context(
            _serve_cm(
                notification_app(
                    notification_settings, clients("notification", notification_settings)
                ),
                "notification",
            )
        )
        yield Pipeline(
            intake,
            verification,
            notification,
            intake_settings,
            verification_settings.dead_letter_topic,
            notification_settings.dead_letter_topic,
            mailbox,
        )


@asynccontextmanager
async def _serve_cm(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            yield client
