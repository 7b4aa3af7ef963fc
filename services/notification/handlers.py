"""Tell the applicant what happened, once per event and channel, whatever is redelivered.

For each message: record the attempt, send, record the outcome. After a crash between
the attempt and its outcome, a channel that drops repeats (SMS, by idempotency key) is
simply sent again; email is not, and the outcome is recorded as unknown: an applicant
never gets the same alert twice.

A channel that cannot be reached (SMTP server or SMS gateway down) has not refused the
message: the failed attempt is recorded, and the next waits until the channel accepts
connections again, without using up the message's attempts (so an outage never sends it
to the dead-letter topic). After `channel_wait_seconds` the handler gives up for now
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
from shared.event_schema import RecordedEvent
from shared.histories import ApplicantHistories, ToRecord, derived_id

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
    history = await deps.histories.load(record.stream_id)
    request = history.requests.get(event.request_id)
    if request is None:
        return
    for channel in deps.channels:
        to = address(channel, request)
        if to is not None:
            async with deps.in_flight:
                await _send_once(deps, channel, to, event, record, request)


async def _send_once(
    deps: NotificationDeps,
    channel: Channel,
    to: str,
    event: RequestEvent,
    record: RecordedEvent,
    request: RequestState,
) -> None:
    nid = derived_id("notify", record.event_id, channel.name)
    state = request.notifications.get(nid)
    if state is not None and (state.delivered or state.failed_for_good):
        return
    first = 1
    if state is not None:
        if state.open_attempt and not channel.resend_is_safe:
            await _outcome(
                deps, record, event.request_id, nid, state.attempts, "outcome_unknown", True
            )
            return
        first = state.attempts + (0 if state.open_attempt else 1)
    template, subject, text = render(event, request, short=channel.name == "sms")
    failures = first - 1  # attempts the channel refused (an unreachable one does not count)
    attempt = first - 1
    while True:
        attempt += 1
        await _record(
            deps,
            record,
            ToRecord(
                NotificationAttempted(
                    request_id=event.request_id,
                    notification_id=nid,
                    channel=channel.name,
                    template=template,
                    attempt=attempt,
                ),
                derived_id("attempt", nid, str(attempt)),
            ),
        )
        try:
            language = request.form.applicant.language.value
            await channel.send(Message(to, subject, text, key=nid, language=language))
        except ChannelError as exc:
            failures += not exc.unreachable
            final = exc.permanent or failures >= deps.max_attempts
            await _outcome(deps, record, event.request_id, nid, attempt, exc.code, final)
            if final:
                await deps.dead_letter(
                    {
                        "notification_id": nid,
                        "channel": channel.name,
                        "cause_event_id": record.event_id,
                        "error": exc.code,
                    }
                )
                return
            if exc.unreachable:
                await _until_reachable(deps, channel)
            else:
                await asyncio.sleep(deps.backoff_seconds * 2 ** (failures - 1))
            continue
        await _record(
            deps,
            record,
            ToRecord(
                NotificationDelivered(
                    request_id=event.request_id, notification_id=nid, attempt=attempt
                ),
                derived_id("delivered", nid),
            ),
        )
        log.info("notified", extra={"notification_id": nid, "channel": channel.name})
        return


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
