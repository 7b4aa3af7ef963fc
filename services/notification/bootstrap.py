"""Wires the notification service: events in, email and SMS out; health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaRouter
from faststream.kafka.publisher.usecase import DefaultPublisher
from pymongo import AsyncMongoClient

from services.notification.channels import Channel, EmailChannel, SmsGateway
from services.notification.handlers import NotificationDeps, notify
from services.notification.settings import NotificationSettings
from shared.applicants import Applicants
from shared.http import ApiKeys, install_common
from shared.messaging.events_consumer import subscribe_events
from shared.messaging.kafka import make_broker
from shared.runtime import mongo_client, open_store, readiness

TOLD = (
    "RequestVerified",
    "RequestRejected",
    "DocumentsRequested",
    "ManualReviewRequired",
    "ManualReviewDecided",
    "RequestWithdrawn",
)


def dead_letter_publisher(kafka: KafkaRouter, settings: NotificationSettings) -> DefaultPublisher:
    return kafka.publisher(
        settings.dead_letter_topic,
        description="Events it could not read; notifications that failed for good",
    )


def subscribe(
    kafka: KafkaRouter,
    settings: NotificationSettings,
    deps: NotificationDeps,
    dead_letters: DefaultPublisher,
) -> None:
    subscribe_events(
        kafka,
        settings.events_topic,
        "jemput-notification",
        settings.dead_letter_topic,
        dict.fromkeys(TOLD, partial(notify, deps)),
        description="Decisions and status changes to tell applicants about",
        dead_letters=dead_letters,
        seen=lambda record: deps.applicants.remember(record),
    )


def create_app(
    settings: NotificationSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
) -> FastAPI:
    settings = settings or NotificationSettings()
    client = client or mongo_client(settings)
    broker = make_broker(settings.kafka_bootstrap, "jemput-notification")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(client, settings, broker)
        async with httpx.AsyncClient() as http:
            email = EmailChannel(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_sender,
                connections=settings.max_in_flight,
            )
            channels: list[Channel] = [email]
            if settings.sms_gateway_url:
                channels.append(SmsGateway(settings.sms_gateway_url, http))
            kafka = KafkaRouter()
            dead_letters = dead_letter_publisher(kafka, settings)
            deps = NotificationDeps(
                applicants=Applicants(store, settings.pseudonym_bytes()),
                channels=channels,
                max_attempts=settings.max_attempts,
                backoff_seconds=settings.backoff_seconds,
                dead_letter=lambda entry: dead_letters.publish(entry),
                in_flight=asyncio.Semaphore(settings.max_in_flight),
                channel_wait_seconds=settings.channel_wait_seconds,
            )
            subscribe(kafka, settings, deps, dead_letters)
            broker.include_router(kafka)
            async with broker:
                await broker.start()
                yield
                await store.flush()  # what was stored reaches Kafka before we go
            await email.close()
        await client.close()

    app = FastAPI(title="jemput notification", version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.readiness = readiness(client, broker)
    install_common(
        app,
        "notification",
        ApiKeys(settings.api_keys),
        settings.max_body_bytes,
        settings.max_in_flight_requests,
        settings.retry_after_seconds,
    )
    return app
