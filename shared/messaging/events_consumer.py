"""Subscribe a service to the events topic with a table of handlers by event type.

The table is the service's routing, in one place. Each handler gets the domain event and
its stored record; it must be idempotent (derive the ids of what it records from the
record's event id). Offsets are committed only after the handler returns; a message that
is not a stored event of a known type goes to the dead-letter topic and is skipped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.publisher.usecase import DefaultPublisher
from prometheus_client import Counter
from pydantic import ValidationError

from shared.domain.events import registry
from shared.events import DomainEvent, RecordedEvent, UnknownEventError
from shared.messaging.consumers import raw_body

log = logging.getLogger(__name__)

HANDLED = Counter("jemput_events_handled_total", "Events handled", ["group", "event_type"])
DEAD_LETTERS = Counter(
    "jemput_dead_letters_total", "Messages sent to a dead-letter topic", ["group", "reason"]
)

Handler = Callable[[DomainEvent, RecordedEvent], Awaitable[None]]


def subscribe_events(
    router: KafkaRouter,
    topic: str,
    group_id: str,
    dead_letter_topic: str,
    handlers: Mapping[str, Handler],
    description: str,
    dead_letters: DefaultPublisher | None = None,
) -> None:
    if dead_letters is None:
        dead_letters = router.publisher(
            dead_letter_topic, description="Events this service could not read"
        )

    @router.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        decoder=raw_body,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        description=description,
    )
    async def on_event(body: bytes, msg: KafkaMessage) -> None:
        try:
            record = RecordedEvent.model_validate_json(body)
        except ValidationError as exc:
            await dead_letters.publish(_dead_letter(msg, body, "not_an_event", type(exc).__name__))
            DEAD_LETTERS.labels(group_id, "not_an_event").inc()
            return
        handler = handlers.get(record.event_type)
        if handler is None:
            return  # not this service's business
        try:
            event = registry.load(record)
        except (UnknownEventError, ValidationError) as exc:
            await dead_letters.publish(
                _dead_letter(msg, body, "unreadable_event", type(exc).__name__)
            )
            DEAD_LETTERS.labels(group_id, "unreadable_event").inc()
            return
        await handler(event, record)
        HANDLED.labels(group_id, record.event_type).inc()
        log.info("handled", extra={"event_type": record.event_type, "event_id": record.event_id})


def _dead_letter(msg: Any, body: bytes, reason: str, error: str) -> dict[str, Any]:
    raw = msg.raw_message
    log.warning("dead-lettered", extra={"reason": reason, "error": error})
    return {
        "id": str(uuid.uuid4()),
        "reason": reason,
        "error": error,
        "source": {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset},
        "body": body.decode("utf-8", errors="replace"),
    }
