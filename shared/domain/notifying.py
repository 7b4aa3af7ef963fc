"""When to send an applicant's message, and when to stop: notification's policy, pure.

Each message (one decision event, one channel) is sent at most once as far as the
applicant can tell: an attempt is recorded before it is handed to the channel and its
outcome after. From what the history holds of a message (`Notification`), `first_try`
says what to do now; after a failed attempt, `after_failure` says whether to try again
and how long to wait. The service (services/notification/handlers.py) does the I/O.

- Delivered, or failed for good: nothing to do (a redelivered event sends nothing).
- An attempt with no outcome (the process died while sending): a channel that drops
  repeats (SMS, by idempotency key) is tried again as the same attempt; one that does
  not (email) is not: the outcome is unknown, recorded as final, never sent twice.
- A channel that refused counts against `max_attempts`, with exponential backoff; one
  that could not be reached has not refused: wait until it can, without using up an
  attempt (an outage never makes a message fail for good).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.applicant import Notification

OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int  # refusals before a message fails for good
    backoff_seconds: float  # the wait after the first refusal, doubling after each


@dataclass(frozen=True)
class Send:
    """Record attempt `attempt`, then hand the message to the channel."""

    attempt: int
    refusals: int  # attempts the channel refused before this one


@dataclass(frozen=True)
class Settled:
    """Nothing to send: delivered, or failed for good, before."""


@dataclass(frozen=True)
class Unknown:
    """Attempt `attempt` may have reached the applicant: record its outcome as unknown
    (final) and send nothing."""

    attempt: int


@dataclass(frozen=True)
class Retry:
    """Try again as `next`, after `wait_seconds` (None: once the channel is reachable)."""

    next: Send
    wait_seconds: float | None


@dataclass(frozen=True)
class GiveUp:
    """The message failed for good: record it as final and dead-letter it."""


def first_try(state: Notification | None, resend_is_safe: bool) -> Send | Settled | Unknown:
    """What to do about a message, given what the history holds of it."""
    if state is None:
        return Send(attempt=1, refusals=0)
    if state.delivered or state.failed_for_good:
        return Settled()
    if state.open_attempt:
        if not resend_is_safe:
            return Unknown(attempt=state.attempts)
        # The same attempt again: the channel drops the repeat if the first got through.
        return Send(attempt=state.attempts, refusals=state.attempts - 1)
    # Earlier attempts failed (their kind is not kept): each counts as a refusal.
    return Send(attempt=state.attempts + 1, refusals=state.attempts)


def after_failure(
    tried: Send, unreachable: bool, policy: RetryPolicy, permanent: bool = False
) -> Retry | GiveUp:
    """After attempt `tried` failed: a refusal counts, an unreachable channel does not; a
    permanent refusal (an address no attempt can reach) ends it at once."""
    refusals = tried.refusals + (0 if unreachable else 1)
    if permanent or refusals >= policy.max_attempts:
        return GiveUp()
    wait = None if unreachable else policy.backoff_seconds * 2 ** (refusals - 1)
    return Retry(Send(attempt=tried.attempt + 1, refusals=refusals), wait)
