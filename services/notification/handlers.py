"""Tell the applicant what happened, once per event and channel, whatever is redelivered.

For each message: record the attempt, send, record the outcome. When to send, retry or
stop is the domain's policy (shared/domain/notifying.py: at most once, a crash mid-send
resent only on a channel that drops repeats, refusals counted, outages waited for); this
module carries it out. A channel that cannot be reached is probed until it accepts
connections again; after `channel_wait_seconds` the handler gives up for now
(ChannelDownError): the events come again, and nothing is dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from services.notification.channels import Channel, ChannelError, Message
from services.notification.templates import render
from shared.domain.applicant import TOLD, ApplicantHistory, RequestState, status_after
from shared.domain.events import (
    NotificationAttempted,
    NotificationDelivered,
    NotificationFailed,
    RequestEvent,
)
from shared.domain.notifying import (
    OUTCOME_UNKNOWN,
    GiveUp,
    RetryPolicy,
    Settled,
    Unknown,
    after_failure,
    first_try,
)
from shared.event_schema import RecordedEvent
from shared.observability import pipeline_metrics, tracing
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id

log = logging.getLogger(__name__)

CHANNEL_WAITS = Counter(
    "jemput_notification_channel_waits_total",
    "Probes of a channel that was down, before sending again",
    ["channel"],
)


@dataclass(frozen=True)
class NotificationDeps:
    histories: ApplicantHistories
    channels: Sequence[Channel]
    max_attempts: int
    backoff_seconds: float
    dead_letter: Callable[[dict[str, Any]], Awaitable[None]]
    in_flight: asyncio.Semaphore  # bounds sends (and so the outcomes a crash leaves unknown)
    channel_wait_seconds: float = 120.0  # how long one run waits for a channel that is down


class ChannelDownError(Exception):
    """A channel stayed unreachable for longer than a handler run waits."""


CHANNEL_PROBE_FIRST, CHANNEL_PROBE_LONGEST = 0.25, 5.0


async def _until_reachable(deps: NotificationDeps, channel: Channel) -> None:
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + deps.channel_wait_seconds, CHANNEL_PROBE_FIRST
    while not await channel.reachable():
        if loop.time() >= deadline:
            raise ChannelDownError(channel.name)
        CHANNEL_WAITS.labels(channel.name).inc()
        await asyncio.sleep(pause)
        pause = min(pause * 2, CHANNEL_PROBE_LONGEST)


def address(channel: Channel, request: RequestState) -> str | None:
    applicant = request.form.applicant
    return applicant.email if channel.name == "email" else applicant.phone


async def notify(deps: NotificationDeps, event: RequestEvent, record: RecordedEvent) -> None:
    if status_after(event) not in TOLD:
        return
    stream = await deps.histories.read(record.stream_id)
    history = await deps.histories.history(stream)
    request = history.requests.get(event.request_id)
    if request is None:
        return
    submission = pipeline_metrics.submission_behind(record, stream)
    for channel in deps.channels:
        to = address(channel, request)
        if to is not None:
            async with deps.in_flight:
                delivered = await _send_once(deps, channel, to, event, record, request)
            if delivered and submission is not None:
                pipeline_metrics.notified(channel.name, submission)


async def _send_once(
    deps: NotificationDeps,
    channel: Channel,
    to: str,
    event: RequestEvent,
    record: RecordedEvent,
    request: RequestState,
) -> bool:
    """Carry out the policy (shared/domain/notifying.py) for one message: record, send,
    record the outcome, wait as it says. Whether this run delivered it (not: delivered
    before, outcome unknown, or failed for good)."""
    nid = derived_id("notify", record.event_id, channel.name)
    step = first_try(request.notifications.get(nid), channel.resend_is_safe)
    if isinstance(step, Settled):
        return False
    if isinstance(step, Unknown):
        await _outcome(deps, record, event.request_id, nid, step.attempt, OUTCOME_UNKNOWN, True)
        return False
    template, subject, text = render(event, request, short=channel.name == "sms")
    language = request.form.applicant.language.value
    message = Message(to, subject, text, key=nid, language=language)
    policy = RetryPolicy(deps.max_attempts, deps.backoff_seconds)
    while True:
        await _record(deps, record, _attempted(event, nid, channel, template, step.attempt))
        try:
            with tracing.step(f"send {channel.name}", attempt=step.attempt):
                await channel.send(message)
        except ChannelError as exc:
            verdict = after_failure(step, exc.unreachable, policy, exc.permanent)
            final = isinstance(verdict, GiveUp)
            pipeline_metrics.notification_failed(channel.name, final)
            await _outcome(deps, record, event.request_id, nid, step.attempt, exc.code, final)
            if isinstance(verdict, GiveUp):
                await deps.dead_letter(
                    {
                        "notification_id": nid,
                        "channel": channel.name,
                        "cause_event_id": record.event_id,
                        "error": exc.code,
                    }
                )
                return False
            if verdict.wait_seconds is None:
                await _until_reachable(deps, channel)
            else:
                await asyncio.sleep(verdict.wait_seconds)
            step = verdict.next
            continue
        delivered = NotificationDelivered(
            request_id=event.request_id, notification_id=nid, attempt=step.attempt
        )
        await _record(deps, record, ToRecord(delivered, derived_id("delivered", nid)))
        log.info("notified", extra={"notification_id": nid, "channel": channel.name})
        return True


def _attempted(
    event: RequestEvent, nid: str, channel: Channel, template: str, attempt: int
) -> ToRecord:
    attempted = NotificationAttempted(
        request_id=event.request_id,
        notification_id=nid,
        channel=channel.name,
        template=template,
        attempt=attempt,
    )
    return ToRecord(attempted, derived_id("attempt", nid, str(attempt)))


async def _outcome(
    deps: NotificationDeps,
    record: RecordedEvent,
    request_id: str,
    nid: str,
    attempt: int,
    error: str,
    final: bool,
) -> None:
    log.warning(
        "notification failed", extra={"notification_id": nid, "error": error, "final": final}
    )
    await _record(
        deps,
        record,
        ToRecord(
            NotificationFailed(
                request_id=request_id,
                notification_id=nid,
                attempt=attempt,
                error=error,
                final=final,
            ),
            derived_id("failed", nid, str(attempt)),
        ),
    )


async def _record(deps: NotificationDeps, cause: RecordedEvent, item: ToRecord) -> None:
    def decide(_: ApplicantHistory) -> list[ToRecord]:
        return [item]

    await deps.histories.record(
        cause.stream_id, decide, correlation_id=cause.correlation_id, causation_id=cause.event_id
    )
