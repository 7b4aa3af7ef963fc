"""Dead-letter bodies sealed: a message that could not be read may be a whole form in clear,
so its body goes to the dead-letter topic only as ciphertext under a month's dead-letter
key (destroying a month's key forgets that month's bodies)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from shared.event_schema.base import utc_millis
from shared.privacy.crypto import CIPHER_VERSION
from shared.privacy.personal_data import PersonalData
from shared.privacy.policy import DataClass

BODY_PATH = "dead_letter.body"
# Every reason a dead letter may give, said once (the AsyncAPI documents list them):
# intake's (the topic's forms) and the events consumers' (shared/messaging/events_consumer).
REASONS = (
    "invalid",
    "conflict",
    "error",
    "not_an_event",
    "unsealed",
    "not_in_log",
    "unreadable_event",
    "handler_failed",
)
log = logging.getLogger(__name__)


def month_owner(moment: datetime) -> str:
    return f"dead-letters-{moment:%Y-%m}"


async def sealed_body(personal: PersonalData, entry_id: str, body: bytes) -> dict[str, Any]:
    """The body as a sealed box, bound to the dead letter's id."""
    owner = month_owner(utc_millis())
    key = (await personal.ciphers(owner, [DataClass.DEAD_LETTER], create=True))[
        DataClass.DEAD_LETTER
    ]
    text = body.decode("utf-8", errors="replace")
    return {
        "enc": key.cipher.seal(f"{owner}/{entry_id}", BODY_PATH, text),
        "class": DataClass.DEAD_LETTER.value,
        "key": key.key_ref,
        "owner": owner,
        "v": CIPHER_VERSION,
    }


async def dead_letter(
    personal: PersonalData | None,
    source: Any,
    body: bytes,
    reason: str,
    **why: object,
) -> dict[str, Any]:
    """The one shape of a dead-letter entry, for every consumer: an id, the reason, what
    went wrong (`why`: an error type, field errors; never a value), where the message was
    (`source`: its Kafka record) and its body sealed; with no keys wired, no body at all."""
    entry_id = str(uuid.uuid4())
    log.warning("dead-lettered", extra={"reason": reason})
    return {
        "id": entry_id,
        "reason": reason,
        **why,
        "source": {
            "topic": getattr(source, "topic", None),
            "partition": getattr(source, "partition", None),
            "offset": getattr(source, "offset", None),
        },
        "body": None if personal is None else await sealed_body(personal, entry_id, body),
    }


async def opened_body(personal: PersonalData, entry: dict[str, Any]) -> str | None:
    """The body of a dead letter, or None when its month's key is gone (or it has none)."""
    box = entry.get("body")
    if not isinstance(box, dict) or "enc" not in box:
        return None
    owner = str(box["owner"])
    key = (await personal.ciphers(owner, [DataClass.DEAD_LETTER], create=False)).get(
        DataClass.DEAD_LETTER
    )
    if key is None or key.key_ref != box["key"]:
        return None
    text: str = key.cipher.open(f"{owner}/{entry['id']}", BODY_PATH, box["enc"])
    return text
