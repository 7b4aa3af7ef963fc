"""`jemput-relay`: publishes what writers left in the outbox (see relay.py for why).

The services publish what they append themselves; the relay publishes what they could
not (a writer that died between the log and Kafka, or Kafka away), after
JEMPUT_RELAY_MIN_AGE_SECONDS. One per event collection is enough; a second would publish
the same leftovers again (harmless to idempotent consumers). Stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from prometheus_client import start_http_server
from pymongo import AsyncMongoClient

from shared.eventstore.mongo import MongoEventStore
from shared.eventstore.relay import OutboxRelay
from shared.messaging.kafka import KafkaEventPublisher, make_broker
from shared.settings import InfraSettings

log = logging.getLogger("jemput.relay")


async def run_relay(settings: InfraSettings, stop: asyncio.Event) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongo_select_timeout_ms,
        timeoutMS=settings.mongo_timeout_ms,
    )
    store = MongoEventStore(client[settings.mongo_db], settings.chain_keys())
    await store.initialize()
    broker = make_broker(settings.kafka_bootstrap, "jemput-relay")
    try:
        async with broker:
            await broker.connect()
            publisher = KafkaEventPublisher(broker, lambda _: settings.events_topic)
            log.info("relay started", extra={"topic": settings.events_topic})
            relay = OutboxRelay(
                store,
                publisher,
                batch_size=settings.relay_batch_size,
                idle_seconds=settings.relay_idle_seconds,
                min_age=timedelta(seconds=settings.relay_min_age_seconds),
            )
            await relay.run(stop)
    finally:
        await client.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = InfraSettings()
    if settings.relay_metrics_port:  # backlog, published, failures: for Prometheus
        start_http_server(settings.relay_metrics_port, addr="127.0.0.1")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_relay(settings, stop)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
