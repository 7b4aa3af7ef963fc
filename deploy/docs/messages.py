"""What travels on jemput's topics, as JSON Schema for the AsyncAPI documents.

FastStream sees raw bytes (our consumers decode the body themselves), so its documents
say nothing about a message. The shapes are taken from the code that writes them:

- the intake topic: `Submission` (services/intake/handlers.py), `request_id` required;
- the events topic: a stored event (`RecordedEvent`, its JSON as the relay publishes it),
  one message per event type and schema version in the registry (shared/domain/events.py),
  the payload as stored: each field a retention policy seals (shared/retention/*.json) is a
  sealed box (shared/privacy/personal_data.py), never the value;
- dead-letter topics: an entry (shared/privacy/dead_letters.py), its body sealed; the
  notification service's also takes a notification that failed for good.

Schemas are inlined (no `$ref` into pydantic's `$defs`): a sealed field differs from the
same field in the clear form, so an event's form cannot share the intake form's schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.intake.handlers import Submission
from shared.domain.events import EARLIER_SHAPES, registry
from shared.event_schema import DomainEvent, RecordedEvent
from shared.privacy.crypto import CIPHER_VERSION
from shared.privacy.dead_letters import REASONS, month_owner
from shared.privacy.personal_data import MARKER
from shared.privacy.policy import DataClass
from shared.retention import load_policy, policy_ids

Schema = dict[str, Any]
SEALED = "SealedValue"
SEALED_REF = {"$ref": f"#/components/schemas/{SEALED}"}
# Retention policies that ever sealed events (shared/retention/): a field one of them
# seals may be a box in a stored event, whichever policy sealed that event.
POLICIES = policy_ids()
# Stored in clear before sealing existed (the upcaster in shared/domain/events.py): these
# versions never hold a box, later ones always do.
CLEAR_VERSIONS = {("RequestSubmitted", 1)}
ALWAYS_SEALED_FROM = {"RequestSubmitted": 2, "ManualReviewDecided": 2}


def inline(schema: Schema) -> Schema:
    """A pydantic schema with every `#/$defs/...` reference replaced by its target, and
    OpenAPI-style `discriminator` objects dropped (AsyncAPI's is a plain property name)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node and node["$ref"].startswith("#/$defs/"):
            target = walk(defs[node["$ref"].removeprefix("#/$defs/")])
            return {**target, **{k: walk(v) for k, v in node.items() if k != "$ref"}}
        return {k: walk(v) for k, v in node.items() if k not in ("$defs", "discriminator")}

    found: Schema = walk(schema)
    return found


def model_schema(model: type[BaseModel]) -> Schema:
    return inline(model.model_json_schema())


def sealed_value() -> Schema:
    """A personal field as stored: ciphertext under the applicant's data key of its class."""
    return {
        "type": "object",
        "title": "Sealed value / Nilai tersegel",
        "description": (
            "A personal field sealed with AES-GCM under the applicant's data key of its class; "
            "the value is padded, so its length tells nothing. Only jemput's services open it; "
            "after an erasure (PersonalDataErased) its key is gone and it reads as erased."
        ),
        "properties": {
            "enc": {"type": "string", "description": "nonce and ciphertext, base64url"},
            "class": {"type": "string", "enum": [c.value for c in DataClass]},
            "key": {"type": "string", "description": "the data key's reference"},
            "v": {"type": "integer", "const": CIPHER_VERSION},
        },
        "required": ["enc", "class", "key", "v"],
        "additionalProperties": False,
    }


def _replace(node: Schema, path: list[str], how: str) -> int:
    """Put a sealed box at `path` in `node` (each branch of a union that has it): `how` is
    "sealed" (always a box) or "either" (a box or the value, by the sealing policy)."""
    done = 0
    for branch in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        done += _replace(branch, path, how)
    properties = node.get("properties", {})
    if path[0] not in properties:
        return done
    if len(path) > 1:
        return done + _replace(properties[path[0]], path[1:], how)
    clear = properties[path[0]]
    properties[path[0]] = (
        {**SEALED_REF, "description": "sealed"}
        if how == "sealed"
        else {"anyOf": [clear, SEALED_REF], "description": "sealed since its policy seals it"}
    )
    return done + 1


def sealed_paths(event_type: str) -> set[str]:
    return {p for policy in POLICIES for p in load_policy(policy).fields_of(event_type)}


def event_payload(model: type[DomainEvent], version: int) -> Schema:
    """The payload of `model`'s events stored at schema `version`, as stored."""
    payload = model_schema(EARLIER_SHAPES.get((model.event_type, version), model))
    paths = sealed_paths(model.event_type)
    if not paths or (model.event_type, version) in CLEAR_VERSIONS:
        return payload
    always = version >= ALWAYS_SEALED_FROM.get(model.event_type, version + 1)
    for path in sorted(paths):
        if not _replace(payload, path.split("."), "sealed" if always else "either"):
            raise ValueError(f"{model.event_type}: policy path {path} is not in its schema")
    payload["properties"][MARKER] = {
        "type": "object",
        "description": "the retention policy the fields were sealed under",
        "properties": {"policy": {"type": "string", "examples": [POLICIES[-1]]}},
        "required": ["policy"],
        "additionalProperties": False,
    }
    if always:
        payload["required"] = [*payload.get("required", []), MARKER]
    return payload


def event_kinds() -> list[tuple[type[DomainEvent], int]]:
    """Every (event class, schema version) that can be on the events topic: old versions
    stay in the log as written (the relay publishes them as stored)."""
    return [(m, v) for m in registry.models() for v in range(1, m.schema_version + 1)]


def event_message_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


def stored_event(model: type[DomainEvent], version: int) -> Schema:
    """The whole message: the stored event's envelope around its payload."""
    envelope = model_schema(RecordedEvent)
    envelope["title"] = f"{model.event_type} v{version}"
    if model.__doc__ and model.__doc__ != DomainEvent.__doc__:
        envelope["description"] = " ".join(model.__doc__.split())
    properties = envelope["properties"]
    properties["event_type"] = {"type": "string", "const": model.event_type}
    properties["schema_version"] = {"type": "integer", "const": version}
    properties["payload"] = event_payload(model, version)
    return envelope


def event_headers() -> Schema:
    return {
        "type": "object",
        "title": "Event headers",
        "description": "Set by the relay (shared/messaging/kafka.py); the Kafka key is the "
        "stream id, a pseudonym of the applicant, never a NIK.",
        "properties": {
            "event_type": {"type": "string", "description": "the payload's event_type"},
            "event_id": {"type": "string", "description": "the payload's event_id"},
            "correlation_id": {
                "type": "string",
                "description": "the request's id, or the event's own id",
            },
            "content-type": {"type": "string"},
        },
        "required": ["event_type", "event_id", "correlation_id"],
    }


def submission() -> Schema:
    schema = model_schema(Submission)
    schema["title"] = "Submission / Pengajuan"
    schema["required"] = ["request_id", *schema.get("required", [])]
    return schema


def dead_letter_entry() -> Schema:
    """shared/privacy/dead_letters.py's one shape: never a value from the message."""
    error = {
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "where (names, never the value)"},
            "error": {"type": "string", "description": "pydantic's error type"},
            "message": {"type": "string"},
        },
        "required": ["message"],
        "additionalProperties": False,
    }
    body = {
        **sealed_value(),
        "title": "Sealed dead-letter body / Isi tersegel",
        "description": "The message's body sealed under the month's dead-letter key "
        f"(owner like {month_owner(datetime(2026, 12, 1))!r}); destroying that key forgets "
        "the month's bodies. `jemput-audit` opens one for a case.",
    }
    body["properties"] = {**body["properties"], "owner": {"type": "string"}}
    body["required"] = [*body["required"], "owner"]
    return {
        "type": "object",
        "title": "Dead letter / Pesan gagal",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "reason": {"type": "string", "enum": list(REASONS)},
            "errors": {"type": "array", "items": error, "description": "intake: what is wrong"},
            "error": {"type": "string", "description": "events consumers: the error's type"},
            "body_bytes": {"type": "integer", "description": "intake: the body's size"},
            "body_truncated": {
                "type": "boolean",
                "description": "intake: a body that could never be taken is kept cut short",
            },
            "source": {
                "type": "object",
                "properties": {
                    "topic": {"type": ["string", "null"]},
                    "partition": {"type": ["integer", "null"]},
                    "offset": {"type": ["integer", "null"]},
                },
                "required": ["topic", "partition", "offset"],
                "additionalProperties": False,
            },
            "body": {"anyOf": [body, {"type": "null"}]},
        },
        "required": ["id", "reason", "source", "body"],
        "additionalProperties": False,
    }


def notification_gave_up() -> Schema:
    """services/notification/handlers.py: a notification that failed for good."""
    return {
        "type": "object",
        "title": "Notification given up / Pemberitahuan gagal",
        "properties": {
            "notification_id": {"type": "string"},
            "channel": {"type": "string", "examples": ["email", "sms"]},
            "cause_event_id": {"type": "string", "description": "the decision it was about"},
            "error": {"type": "string", "description": "an error class and code"},
        },
        "required": ["notification_id", "channel", "cause_event_id", "error"],
        "additionalProperties": False,
    }
