"""Intake over Kafka, for systems that post events instead of calling HTTP.

The same checks as HTTP: the body is read by the one reader both doors share
(shared/formats/json_body.py: size, strict UTF-8 without BOM, no duplicate keys, bounded
nesting), then the same model. Whatever goes wrong with one message sends it to the
dead-letter topic with its reason (field-level, never the values) and the consumer goes
on: only a store outage is not the message's fault, and it is waited out in place
(ADR 7), never dead-lettered. Offsets are committed only after the request is stored
(or dead-lettered). Requests are submitted as `kafka:<topic>`: their ids are that
source's own (shared/domain/request_ids.py).
"""

from __future__ import annotations

import logging
from functools import partial

from faststream import AckPolicy
from faststream.kafka import KafkaMessage, KafkaRouter, Topic
from faststream.kafka.publisher.usecase import DefaultPublisher
from pydantic import ValidationError

from services.intake.handlers import IntakeDeps, Submission, SubmissionConflictError, submit
from services.intake.settings import IntakeSettings
from shared.eventstore.errors import store_unavailable
from shared.formats.json_body import BodyError, parse_json_body
from shared.messaging.consumers import raw_body
from shared.messaging.patience import while_store_away
from shared.privacy.dead_letters import dead_letter
from shared.web.http import field_errors

log = logging.getLogger(__name__)
# A dead letter keeps a body that could be taken (UTF-8, within the size limit) whole, so
# that it can be replayed after a fix; of any other, this much (sealed, a body grows by a
# third, and undecodable bytes thrice): the entry stays under Kafka's 1 MB message limit.
KEPT_BODY_BYTES = 128 * 1024
FIRST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS, MAX_PAUSE_SECONDS = 0.5, 5.0, 180.0


class Refused(Exception):
    """The message cannot be taken: why, for its dead letter."""

    def __init__(self, reason: str, errors: list[dict[str, str]]) -> None:
        super().__init__(reason)
        self.reason, self.errors = reason, errors


async def take(deps: IntakeDeps, settings: IntakeSettings, body: bytes) -> None:
    """Store the submission in `body`, or raise Refused (or a store outage)."""
    try:
        submission = Submission.model_validate(parse_json_body(body, settings.max_body_bytes))
    except BodyError as exc:
        raise Refused("invalid", [exc.as_field_error()]) from None
    except ValidationError as exc:
        raise Refused("invalid", field_errors(exc)) from None
    if submission.request_id is None:
        message = "request_id is required on the intake topic"
        raise Refused("invalid", [{"field": "request_id", "error": "missing", "message": message}])
    try:
        await submit(deps, submission, "kafka:" + settings.intake_topic, "kafka", "")
    except SubmissionConflictError as exc:
        raise Refused(
            "conflict", [{"field": "request_id", "error": "conflict", "message": str(exc)}]
        ) from None


async def take_or_refuse(deps: IntakeDeps, settings: IntakeSettings, body: bytes) -> Refused | None:
    """None once stored; why not otherwise. A store outage is waited out in place
    (shared/messaging/patience.py: jittered pauses up to MAX_PAUSE_SECONDS, then raised:
    the message comes again); anything else that goes wrong is the message's fault,
    whatever it is (a RecursionError is not a ValueError), and must not bring it back
    again and again."""
    try:
        await while_store_away(
            partial(take, deps, settings, body),
            first=FIRST_PAUSE_SECONDS,
            longest=LONGEST_PAUSE_SECONDS,
            limit=MAX_PAUSE_SECONDS,
        )
    except Refused as refused:
        return refused
    except Exception as exc:
        if store_unavailable(exc):
            raise
        log.error("intake message failed", extra={"error_type": type(exc).__name__})
        what = {"field": "body", "error": "unreadable"}
        return Refused("error", [{**what, "message": f"could not be taken ({type(exc).__name__})"}])
    return None


def intake_router(settings: IntakeSettings, deps: IntakeDeps) -> KafkaRouter:
    router = KafkaRouter()
    dead_letters = router.publisher(
        settings.intake_dead_letter_topic, description="Submissions that could not be taken"
    )

    @router.subscriber(
        Topic(settings.intake_topic, declare=False),  # partitions: the broker's default
        group_id=settings.group("intake"),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
        description="Request submissions from other systems",
    )
    async def on_submission(body: bytes | None, msg: KafkaMessage) -> None:
        body = body or b""  # a message without a value (a tombstone) is refused as not JSON
        refused = await take_or_refuse(deps, settings, body)
        if refused is not None:
            await _dead_letter(deps, settings, dead_letters, msg, body, refused)

    return router


def kept_body(body: bytes, max_bytes: int) -> bytes:
    """What of a refused body its dead letter keeps (KEPT_BODY_BYTES)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body[:KEPT_BODY_BYTES]
    return body if len(body) <= max_bytes else body[:KEPT_BODY_BYTES]


async def _dead_letter(
    deps: IntakeDeps,
    settings: IntakeSettings,
    publisher: DefaultPublisher,
    msg: KafkaMessage,
    body: bytes,
    refused: Refused,
) -> None:
    # A form may be in the body, in clear: it is sealed; a huge one is cut short.
    kept = kept_body(body, settings.max_body_bytes)
    size = {"body_bytes": len(body), "body_truncated": len(kept) < len(body)}
    entry = await dead_letter(
        deps.histories.personal,
        msg.raw_message,
        kept,
        refused.reason,
        errors=refused.errors,
        **size,
    )
    await publisher.publish(entry)
