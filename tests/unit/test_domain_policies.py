"""The domain's answers that services used to work out each on their own: the reason
codes a request has after an event (`reasons_after`), and notification's at-most-once
and retry policy (`shared/domain/notifying.py`), as pure functions."""

from __future__ import annotations

import pytest

from shared.domain.applicant import Notification, reasons_after
from shared.domain.events import (
    DocumentsRequested,
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    NotificationDelivered,
    RequestEvent,
    RequestRejected,
    RequestVerified,
    RequestWithdrawn,
    ReviewOutcome,
)
from shared.domain.notifying import (
    GiveUp,
    Retry,
    RetryPolicy,
    Send,
    Settled,
    Unknown,
    after_failure,
    first_try,
)
from shared.domain.requests import Document

DECIDED = {"rule_set_id": "jaksel-2026.12", "region_table": "t", "outcomes": ()}
REASONS: list[tuple[RequestEvent, tuple[str, ...] | None]] = [
    (RequestRejected(request_id="r", reasons=("too_young",), **DECIDED), ("too_young",)),
    (ManualReviewRequired(request_id="r", reasons=("late",), **DECIDED), ("late",)),
    (
        DocumentsRequested(request_id="r", documents=(Document.FAMILY_CARD,), **DECIDED),
        ("documents_missing",),
    ),
    (RequestVerified(request_id="r", **DECIDED), ()),
    (
        ManualReviewDecided(
            request_id="r", verifier="v", outcome=ReviewOutcome.APPROVED, reason="ok"
        ),
        (),
    ),
    (
        ManualReviewDecided(
            request_id="r", verifier="v", outcome=ReviewOutcome.REJECTED, reason="no"
        ),
        ("manual_review_rejected",),
    ),
    (
        DocumentsSupplied(
            request_id="r", documents=frozenset({Document.FAMILY_CARD}), supplied_by="o"
        ),
        None,
    ),
    (RequestWithdrawn(request_id="r", withdrawn_by="o", reason="moved"), None),
    (NotificationDelivered(request_id="r", notification_id="n", attempt=1), None),
]


@pytest.mark.parametrize(("event", "reasons"), REASONS, ids=lambda v: type(v).__name__)
def test_reasons_after_each_event(event: RequestEvent, reasons: tuple[str, ...] | None) -> None:
    assert reasons_after(event) == reasons


POLICY = RetryPolicy(max_attempts=3, backoff_seconds=0.5)


def test_a_new_message_is_sent_as_attempt_one() -> None:
    assert first_try(None, resend_is_safe=False) == Send(attempt=1, refusals=0)


@pytest.mark.parametrize("safe", [True, False])
def test_a_settled_message_is_never_sent_again(safe: bool) -> None:
    assert first_try(Notification(attempts=1, delivered=True), safe) == Settled()
    assert first_try(Notification(attempts=3, failed_for_good=True), safe) == Settled()


def test_a_crash_mid_send_is_resent_only_where_the_channel_drops_repeats() -> None:
    open_attempt = Notification(attempts=2, open_attempt=True)
    assert first_try(open_attempt, resend_is_safe=True) == Send(attempt=2, refusals=1)
    assert first_try(open_attempt, resend_is_safe=False) == Unknown(attempt=2)


def test_earlier_failed_attempts_count_as_refusals() -> None:
    assert first_try(Notification(attempts=2), resend_is_safe=False) == Send(3, refusals=2)


def test_refusals_back_off_doubling_then_give_up() -> None:
    step: Send | Retry | GiveUp = Send(attempt=1, refusals=0)
    waits = []
    while isinstance(step, Send):
        verdict = after_failure(step, unreachable=False, policy=POLICY)
        if isinstance(verdict, GiveUp):
            break
        waits.append(verdict.wait_seconds)
        step = verdict.next
    assert waits == [0.5, 1.0]
    assert step == Send(attempt=3, refusals=2)


def test_an_unreachable_channel_is_waited_for_without_using_an_attempt() -> None:
    tried = Send(attempt=7, refusals=2)
    assert after_failure(tried, unreachable=True, policy=POLICY) == Retry(Send(8, 2), None)
    assert after_failure(tried, unreachable=False, policy=POLICY) == GiveUp()


def test_a_resumed_message_past_its_attempts_gives_up_on_any_failure() -> None:
    resumed = first_try(Notification(attempts=3), resend_is_safe=True)
    assert isinstance(resumed, Send)
    assert after_failure(resumed, unreachable=True, policy=POLICY) == GiveUp()
