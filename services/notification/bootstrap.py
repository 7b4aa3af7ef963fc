"""Wires the notification service: events in, email and SMS out; health and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.publisher.usecase import DefaultPublisher
from pymongo import AsyncMongoClient

from services.notification.channels import Channel, EmailChannel, SmsGateway
from services.notification.handlers import ChannelDownError, NotificationDeps, notify
from services.notification.settings import NotificationSettings
from shared.domain.applicant import STATUS_EVENTS
from shared.eventstore.store import EventStore
from shared.messaging.events_consumer import EventsConsumer
from shared.messaging.kafka import make_broker
from shared.messaging.routes import on
from shared.privacy.keys import DataKeyStore
from shared.privacy.setup import open_personal_data
from shared.repositories.histories import ApplicantHistories
from shared.runtime import mongo_client, open_store
from shared.web.app import service_app


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
    EventsConsumer(
        settings.group("notification"),
        # Every status change; `notify` tells those the domain says applicants are told.
        [on(event, partial(notify, deps)) for event in STATUS_EVENTS],
        dead_letters,
        settings.chain_keys(),
        confirm=lambda record: deps.histories.confirm(record),
        seen=lambda record: deps.histories.remember(record),
        personal=lambda: deps.histories.personal,
        redeliver_on=(ChannelDownError,),  # a channel that stayed down: the events come again
    ).subscribe(
        kafka,
        settings.events_topic,
        "Decisions and status changes to tell applicants",
        settings.fetch(),
    )


async def real_channels(settings: NotificationSettings, closing: AsyncExitStack) -> list[Channel]:
    """Email over SMTP, and SMS if a gateway is set; `closing` closes them (email first)."""
    http = await closing.enter_async_context(httpx.AsyncClient())
    email = EmailChannel(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        connections=settings.max_in_flight,
    )
    closing.push_async_callback(email.close)
    channels: list[Channel] = [email]
    if settings.sms_gateway_url:
        channels.append(SmsGateway(settings.sms_gateway_url, http))
    return channels


def create_app(
    settings: NotificationSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    broker: KafkaBroker | None = None,
    store: EventStore | None = None,
    data_keys: DataKeyStore | None = None,
    channels: Sequence[Channel] | None = None,
) -> FastAPI:
    """`broker`, `store` and `channels` replace the real adapters (the in-memory tier
    passes a broker under FastStream's TestKafkaBroker, an in-memory store, fake channels)."""
    settings = settings or NotificationSettings()
    client = client or mongo_client(settings)
    broker = broker or make_broker(settings.kafka_bootstrap, "jemput-notification")

    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[EventStore]:
        event_store = store or await open_store(client, settings, broker)
        personal = await open_personal_data(client[settings.mongo_db], settings, data_keys)
        async with AsyncExitStack() as closing:  # the channels close after the broker stops
            # Fakes given: no SMTP pool or HTTP client (its TLS set-up costs ~50 ms a start).
            chosen = await real_channels(settings, closing) if channels is None else channels
            kafka = KafkaRouter()
            dead_letters = dead_letter_publisher(kafka, settings)
            deps = NotificationDeps(
                histories=ApplicantHistories(event_store, settings.pseudonym_bytes(), personal),
                channels=chosen,
                max_attempts=settings.max_attempts,
                backoff_seconds=settings.backoff_seconds,
                dead_letter=lambda entry: dead_letters.publish(entry),
                in_flight=asyncio.Semaphore(settings.max_in_flight),
                channel_wait_seconds=settings.channel_wait_seconds,
            )
            subscribe(kafka, settings, deps, dead_letters)
            broker.include_router(kafka)
            yield event_store

    return service_app(settings, "notification", client, broker=broker, set_up=set_up)
