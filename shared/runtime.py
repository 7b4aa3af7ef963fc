"""Process plumbing every service shares: logging without personal data, the database."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any
from wsgiref.simple_server import WSGIServer

import uvicorn
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import start_http_server
from pymongo import AsyncMongoClient

from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.store import EventStore
from shared.messaging.kafka import KafkaEventPublisher
from shared.observability import tracing
from shared.observability.store_metrics import StoreCommandMetrics
from shared.settings import InfraSettings, ServiceSettings


class JsonLines(logging.Formatter):
    """One JSON object per line. Callers pass ids and codes in `extra`, never personal data."""

    RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        line.update(tracing.log_ids())  # the trace this line belongs to, if any
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the type only: messages may hold data
        return json.dumps(line, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Access logs would print URLs and client addresses; our own lines say what happened.
    logging.getLogger("uvicorn.access").disabled = True


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run a service's app until SIGTERM/SIGINT, with JSON logs and no access log."""
    configure_logging(settings.log_level)
    serve_metrics(settings)
    tracing.configure(app.title.removeprefix("jemput "))  # OTLP only if its endpoint is set
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",  # measured: the event loop is a fifth of a busy service's CPU (docs/bench)
    )


def serve_metrics(settings: ServiceSettings) -> WSGIServer | None:
    """/metrics on its own port when one is set (in a thread: it only reads the registry);
    the HTTP port then serves none (shared/web/app.py). The server, to shut down, or None."""
    if settings.metrics_port is None:
        return None
    server, _ = start_http_server(settings.metrics_port, addr=settings.http_host)
    return server


async def kafka_answers(broker: KafkaBroker) -> None:
    # FastStream's ping answers False rather than raising: a readiness check must raise.
    if not await broker.ping(timeout=2):
        raise ConnectionError("Kafka did not answer")


def mongo_client(settings: InfraSettings) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongo_select_timeout_ms,
        timeoutMS=settings.mongo_timeout_ms,
        event_listeners=[StoreCommandMetrics()],
    )


async def open_store(
    client: AsyncMongoClient[dict[str, Any]],
    settings: InfraSettings,
    broker: KafkaBroker | None = None,
) -> EventStore:
    """The event store on MongoDB; with a broker, appended events are published at once
    (the relay only sweeps up after writers that died)."""
    recorder = MongoRecorder(client[settings.mongo_db])
    store = EventStore(recorder, settings.chain_keys(), cached_streams=settings.cached_streams)
    await recorder.initialize()
    if broker is not None and settings.publish_appends:
        store.publish_with(KafkaEventPublisher(broker, lambda _: settings.events_topic))
    return store
