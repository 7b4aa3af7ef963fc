"""Wires the relay: the outbox in, Kafka out; health and metrics over HTTP, no API.

The services publish what they append themselves; the relay publishes what they could
not (a writer that died between the log and Kafka, or Kafka away), after
JEMPUT_RELAY_MIN_AGE_SECONDS (the loop and why: shared/eventstore/relay.py). One per
event collection is enough; a second would publish the same leftovers again (harmless to
idempotent consumers). Stops on SIGTERM/SIGINT, finishing the batch under way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from services.relay.settings import RelaySettings
from shared.eventstore.relay import OutboxRelay
from shared.messaging.kafka import KafkaEventPublisher, make_broker
from shared.messaging.lag import LagExporter
from shared.runtime import mongo_client, open_store, serve
from shared.web.app import service_app

log = logging.getLogger("jemput.relay")


def create_app(
    settings: RelaySettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
) -> FastAPI:
    settings = settings or RelaySettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, "jemput-relay")

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(client, settings)  # no broker: the relay publishes, not it
        publisher = KafkaEventPublisher(broker, lambda _: settings.events_topic)
        relay = OutboxRelay(
            store,
            publisher,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
            min_age=timedelta(seconds=settings.relay_min_age_seconds),
        )
        log.info("relay started", extra={"topic": settings.events_topic})
        stop = asyncio.Event()
        running = [asyncio.create_task(relay.run(stop))]
        if settings.lag_seconds > 0:
            lag = LagExporter(
                settings.kafka_bootstrap, settings.watched_groups(), settings.dead_letter_topics
            )
            running.append(asyncio.create_task(lag.run(settings.lag_seconds, stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*running)

    # A producer only: the relay subscribes to nothing (the broker connects, never starts).
    return service_app(settings, "relay", client, broker=broker, serving=serving, consumes=False)


def main() -> None:
    settings = RelaySettings()
    serve(create_app(settings), settings)
