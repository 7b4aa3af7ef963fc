"""In-memory stand-ins for what the services reach outside the process.

Each records what it was given, so a test asserts on what a service did, not on how.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from services.notification.channels import ChannelError, Message
from services.notification.handlers import ChannelDownError
from shared.event_schema import RecordedEvent


class ProcessCrashError(ChannelDownError):
    """Stands for the process dying mid-send: not a ChannelError, so nothing is recorded;
    like a crash (and a channel that stays down) the consumer stops and Kafka delivers the
    events again, where any other failure of a handler would be dead-lettered."""


class RecordingChannel:
    """A channel (services.notification.channels.Channel) that keeps what it sends.

    `script` says what the next sends do, in order: "ok", an error code to fail with
    (a ChannelError), "unreachable" (the channel is down: nothing taken), "permanent" (no
    attempt can succeed, e.g. a malformed address), or "crash";
    once it runs out, every send succeeds. Probes (`reachable`) find it up again.
    """

    def __init__(self, name: str, resend_is_safe: bool) -> None:
        self.name = name
        self.resend_is_safe = resend_is_safe
        self.sent: list[Message] = []  # taken by the channel
        self.tried: list[Message] = []  # every call, taken or not
        self.script: deque[str] = deque()
        self.probes = 0

    async def send(self, message: Message) -> None:
        self.tried.append(message)
        step = self.script.popleft() if self.script else "ok"
        if step == "crash":
            raise ProcessCrashError(message.key)
        if step == "unreachable":
            raise ChannelError(step, unreachable=True)
        if step == "permanent":
            raise ChannelError("email:invalid_address", permanent=True)
        if step != "ok":
            raise ChannelError(step)
        self.sent.append(message)

    async def reachable(self) -> bool:
        self.probes += 1
        return True


class BrokerFeed:
    """The store's publisher (an EventPublisher): each appended event goes to the events
    topic of a broker under TestKafkaBroker, which runs the subscribed handlers at once.

    The store swallows a publisher's errors (the relay would publish later), so a
    handler's failure is kept in `errors` for the tier to report instead of vanishing.
    """

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self._broker = broker
        self._topic = topic
        self.published: list[RecordedEvent] = []
        self.errors: list[BaseException] = []

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            self.published.append(event)
            await self.deliver(event)

    async def deliver(self, event: RecordedEvent) -> None:
        """Put one stored event on the topic, as the relay or a redelivery would."""
        try:
            await self._broker.publish(
                event.model_dump_json().encode(),
                self._topic,
                key=event.stream_id.encode(),
                headers={"event_type": event.event_type, "event_id": event.event_id},
            )
        except Exception as exc:
            self.errors.append(exc)
            raise


def as_json(body: Any) -> dict[str, Any]:
    """A dead letter as a subscriber gets it (bytes or already decoded)."""
    decoded: dict[str, Any] = json.loads(body) if isinstance(body, bytes | str) else body
    return decoded
