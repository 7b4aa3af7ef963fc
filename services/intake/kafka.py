"""Intake over Kafka, for systems that post events instead of calling HTTP.

Same schema and checks as HTTP. A message that is not a valid submission goes to the
dead-letter topic with field-level reasons (never the values) and the consumer goes on;
offsets are committed only after the request is stored (or dead-lettered).
"""

from __future__ import annotations

import json

from faststream import AckPolicy
from faststream.kafka import KafkaMessage, KafkaRouter, Topic
from faststream.kafka.publisher.usecase import DefaultPublisher
from pydantic import ValidationError

from services.intake.handlers import IntakeDeps, Submission, SubmissionConflictError, submit
from services.intake.settings import IntakeSettings
from shared.http import field_errors
from shared.messaging.consumers import raw_body
from shared.privacy.dead_letters import dead_letter


def intake_router(settings: IntakeSettings, deps: IntakeDeps) -> KafkaRouter:
    router = KafkaRouter()
    dead_letters = router.publisher(
        settings.intake_dead_letter_topic, description="Submissions that could not be taken"
    )

    @router.subscriber(
        Topic(settings.intake_topic, declare=False),  # partitions: the broker's default
        group_id="jemput-intake",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
        description="Request submissions from other systems",
    )
    async def on_submission(body: bytes, msg: KafkaMessage) -> None:
        try:
            submission = Submission.model_validate(json.loads(body))
            if submission.request_id is None:
                raise ValueError("request_id is required on the intake topic")
            await submit(deps, submission, "kafka:" + settings.intake_topic, "kafka", "")
        except ValidationError as exc:
            await _dead_letter(deps, dead_letters, msg, body, "invalid", field_errors(exc))
        except (ValueError, SubmissionConflictError) as exc:  # JSON errors are ValueErrors
            reason = "conflict" if isinstance(exc, SubmissionConflictError) else "invalid"
            detail = str(exc) if not isinstance(exc, json.JSONDecodeError) else "not JSON"
            await _dead_letter(deps, dead_letters, msg, body, reason, [{"message": detail}])

    return router


async def _dead_letter(
    deps: IntakeDeps,
    publisher: DefaultPublisher,
    msg: KafkaMessage,
    body: bytes,
    reason: str,
    errors: list[dict[str, str]],
) -> None:
    # A form may be in the body, in clear: it is sealed.
    entry = await dead_letter(deps.histories.personal, msg.raw_message, body, reason, errors=errors)
    await publisher.publish(entry)
