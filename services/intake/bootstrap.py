"""Wires the intake service: real adapters by default, anything overridable by tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from services.intake.api import router
from services.intake.app_routes import router as field_app_router
from services.intake.devices import DeviceRegistry, MongoDevices, device_caller
from services.intake.devices_api import router as devices_router
from services.intake.handlers import IntakeDeps
from services.intake.kafka import intake_router
from services.intake.public import install_public
from services.intake.settings import IntakeSettings
from shared.collections import DEVICES, TRACKING_CODES
from shared.eventstore.store import EventStore
from shared.messaging.kafka import make_broker
from shared.privacy.keys import DataKeyStore
from shared.privacy.setup import open_personal_data
from shared.repositories.histories import ApplicantHistories
from shared.repositories.tracking import MongoTrackingIndex, TrackingIndex
from shared.runtime import mongo_client, open_store
from shared.web.app import service_app
from shared.web.http import ApiKeys
from shared.web.rate_limit import SlotStore

DESCRIPTION = """Officers' devices and other systems submit civil-registration requests
(e-KTP recording, birth certificates, SKDS) and follow them up by tracking code.
Authenticate with `X-API-Key`. Errors name fields, never the values sent."""


def create_app(
    settings: IntakeSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
    store: EventStore | None = None,
    data_keys: DataKeyStore | None = None,
    tracking: TrackingIndex | None = None,
    rate_slots: SlotStore | None = None,
    devices: DeviceRegistry | None = None,
) -> FastAPI:
    """`broker`, `store`, `tracking`, `rate_slots` and `devices` replace the real adapters
    (the in-memory tier passes a broker under FastStream's TestKafkaBroker, in-memory
    store, index, slots and devices)."""
    settings = settings or IntakeSettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, "jemput-intake")
    db = client[settings.mongo_db]
    mongo_devices = MongoDevices(db[DEVICES])
    registry: DeviceRegistry = devices or mongo_devices

    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[EventStore]:
        event_store = store or await open_store(client, settings, broker)
        personal = await open_personal_data(client[settings.mongo_db], settings, data_keys)
        deps = IntakeDeps(
            histories=ApplicantHistories(event_store, settings.pseudonym_bytes(), personal),
            tracking=tracking or MongoTrackingIndex(db[TRACKING_CODES]),
            tracking_key=settings.pseudonym_bytes(),
        )
        app.state.intake = deps
        if devices is None:
            await mongo_devices.ensure_indexes()
        broker.include_router(intake_router(settings, deps))
        yield event_store

    # Requests are taken while Kafka is away (reported, not required for readiness).
    app = service_app(
        settings,
        "intake",
        client,
        broker=broker,
        set_up=set_up,
        without={"kafka"},
        pages=("/app/", "/cek/", "/v1/app-data"),
        description=DESCRIPTION,
    )
    app.state.devices = registry
    # Device keys beside the static ones, looked up by digest on every request.
    app.state.api_keys = ApiKeys(settings.api_keys, partial(device_caller, registry))
    app.include_router(router)
    install_public(app, settings, db, rate_slots)  # the status page /cek/, limits on guessing
    app.include_router(devices_router)
    app.include_router(field_app_router)  # the officers' app at /app/ and its data
    return app
