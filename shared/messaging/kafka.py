"""Publishing stored events to Kafka, keyed so that one applicant's events stay in order.

The key is the stream id, which is a pseudonym (see shared.privacy.identity), never a NIK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from faststream.kafka import KafkaBroker

from shared.event_schema.base import RecordedEvent
from shared.observability import tracing


def make_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    """A broker whose producer waits for the broker's full acknowledgement, without dupes."""
    return KafkaBroker(
        bootstrap, client_id=client_id, acks="all", enable_idempotence=True, logger=None
    )


class KafkaEventPublisher:
    """Publishes stored events to Kafka: sends a batch pipelined, returns when all are
    acknowledged. Writers use it for what they append (shared/runtime.py `open_store`,
    eventstore/publishing.py), the relay for what writers left in the outbox."""

    def __init__(self, broker: KafkaBroker, topic_for: Callable[[RecordedEvent], str]) -> None:
        self._broker = broker
        self._topic_for = topic_for

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        pending = [
            await self._broker.publish(
                event.model_dump_json().encode(),
                self._topic_for(event),
                key=event.stream_id.encode(),
                headers={
                    "event_type": event.event_type,
                    "event_id": event.event_id,
                    **tracing.headers_for(event.event_id),  # W3C traceparent, if traced
                },
                correlation_id=event.correlation_id or event.event_id,
                no_confirm=True,
            )
            for event in events
        ]
        await asyncio.gather(*pending)
