"""The messages of FastStream's AsyncAPI documents, described: FastStream writes the
channels and operations (from the routers themselves), this module puts into each channel
what travels on it (messages.py), with an example made by the real code (examples.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deploy.docs import examples, messages

Json = dict[str, Any]
KAFKA_BINDING = "0.4.0"  # the version FastStream's channel bindings name
EVENT_KEY = {
    "type": "string",
    "description": "the stream id: a pseudonym of the applicant (HMAC), never a NIK; one "
    "applicant's events share a partition, so they arrive in order",
}


@dataclass
class Catalogue:
    """Every message jemput puts on a topic, by name, and the schemas they refer to."""

    messages: dict[str, Json] = field(default_factory=dict)
    schemas: dict[str, Json] = field(default_factory=dict)

    def add(
        self,
        name: str,
        title: str,
        payload: Json,
        example: Json,
        headers: Json | None = None,
        example_headers: Mapping[str, str] | None = None,
        key: Json | None = None,
    ) -> str:
        self.schemas[name] = payload
        message: Json = {
            "name": name,
            "title": title,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "examples": [
                {"name": f"{name}.example", "payload": example}
                | ({"headers": dict(example_headers)} if example_headers else {})
            ],
        }
        if headers is not None:
            message["headers"] = headers
            message["correlationId"] = {"location": "$message.header#/correlation_id"}
        if key is not None:
            message["bindings"] = {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}}
        self.messages[name] = message
        return name


SUBMISSION = "Submission"
DEAD_LETTER = "DeadLetter"
NOTIFICATION_GAVE_UP = "NotificationGaveUp"
EVENT_HEADERS = "EventHeaders"


async def catalogue() -> Catalogue:
    found = Catalogue()
    found.schemas[messages.SEALED] = messages.sealed_value()
    found.schemas[EVENT_HEADERS] = messages.event_headers()
    found.add(
        SUBMISSION, "Request submission / Pengajuan", messages.submission(), examples.sample()
    )
    stored = await examples.events()
    for model, version in messages.event_kinds():
        record = stored[(model.event_type, version)]
        found.add(
            messages.event_message_name(model.event_type, version),
            f"{model.event_type} (schema version {version})",
            messages.stored_event(model, version),
            json.loads(record.model_dump_json()),
            headers={"$ref": f"#/components/schemas/{EVENT_HEADERS}"},
            example_headers=examples.event_headers(record),
            key=EVENT_KEY,
        )
    letters = await examples.dead_letters()
    found.add(
        DEAD_LETTER, "Dead letter / Pesan gagal", messages.dead_letter_entry(), letters["invalid"]
    )
    found.messages[DEAD_LETTER]["examples"].append(
        {"name": f"{DEAD_LETTER}.not_an_event", "payload": letters["not_an_event"]}
    )
    found.add(
        NOTIFICATION_GAVE_UP,
        "Notification given up / Pemberitahuan gagal",
        messages.notification_gave_up(),
        examples.notification_gave_up(),
    )
    return found


def event_names() -> list[str]:
    return [messages.event_message_name(m.event_type, v) for m, v in messages.event_kinds()]


def describe(document: Json, on_topic: Mapping[str, Sequence[str]], found: Catalogue) -> Json:
    """`document` with each channel whose address is in `on_topic` carrying those messages
    (and each operation on it listing them); FastStream's binary placeholders removed."""
    used: set[str] = set()
    for key, channel in document["channels"].items():
        names = on_topic.get(channel["address"])
        if names is None:
            raise ValueError(f"no messages described for topic {channel['address']}")
        channel["messages"] = {n: {"$ref": f"#/components/messages/{n}"} for n in names}
        used.update(names)
        for operation in document["operations"].values():
            if operation["channel"]["$ref"] == f"#/channels/{key}":
                operation["messages"] = [{"$ref": f"#/channels/{key}/messages/{n}"} for n in names]
    wanted = {found.messages[n]["payload"]["$ref"].rsplit("/", 1)[1] for n in used}
    wanted |= {messages.SEALED, EVENT_HEADERS}
    document["components"] = {
        "messages": {n: found.messages[n] for n in sorted(used)},
        "schemas": {n: s for n, s in found.schemas.items() if n in wanted},
    }
    return document


def build_catalogue() -> Catalogue:
    return asyncio.run(catalogue())
