"""Verification's reactions to events, and the verifier's manual decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.verification.review_queue import QueuedReview, ReviewQueuePort
from shared import pipeline_metrics
from shared.access_log import AccessLogPort
from shared.domain.applicant import ApplicantHistory, Status, decide_manual_review
from shared.domain.calendar import local_date
from shared.domain.events import (
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    RequestSubmitted,
    RequestWithdrawn,
)
from shared.domain.regions import RegionTable
from shared.domain.rules import Context, RuleSet, decide
from shared.event_schema import RecordedEvent
from shared.histories import ApplicantHistories, ToRecord, derived_id


@dataclass(frozen=True)
class VerificationDeps:
    histories: ApplicantHistories
    rules: RuleSet
    regions: RegionTable
    queue: ReviewQueuePort
    access: AccessLogPort  # a verifier's read of a whole case is recorded like an auditor's


async def verify(
    deps: VerificationDeps, event: RequestSubmitted | DocumentsSupplied, record: RecordedEvent
) -> None:
    """On RequestSubmitted or DocumentsSupplied: decide, once per cause."""
    # Rules judge the request as of the day it was made, not the day it is processed.
    on = local_date(record.occurred_at)

    def decision(history: ApplicantHistory) -> list[ToRecord]:
        request = history.requests.get(event.request_id)
        if request is None or not request.awaiting_decision:
            return []
        received = local_date(record.recorded_at)
        made = decide(Context(request, history, on, deps.rules, deps.regions, received))
        return [ToRecord(made, derived_id("decision", record.event_id))]

    _, written = await deps.histories.record(
        record.stream_id,
        decision,
        correlation_id=record.correlation_id,
        causation_id=record.event_id,
    )
    pipeline_metrics.decided(record, written)


async def sync_review(
    deps: VerificationDeps,
    event: ManualReviewRequired | ManualReviewDecided | RequestWithdrawn,
    record: RecordedEvent,
) -> None:
    """Keep the queue in step with the request's state in the log, not with the message:
    a replayed old ManualReviewRequired finds its request decided and queues nothing."""
    history = await deps.histories.load(record.stream_id)
    request = history.requests.get(event.request_id)
    if request is None:
        return
    if isinstance(event, ManualReviewDecided):  # kept a while: a late verifier is told
        await deps.queue.decided(
            request.tracking_code, event.verifier, event.approved, record.recorded_at
        )
    elif isinstance(event, RequestWithdrawn):
        await deps.queue.remove(request.tracking_code)
    if request.status is not Status.MANUAL_REVIEW:
        return
    await deps.queue.add(
        QueuedReview(
            tracking_code=request.tracking_code,
            request_id=event.request_id,
            stream_id=record.stream_id,
            kind=request.kind.value,
            reasons=request.reasons,
            since=record.recorded_at,
            kecamatan_code=request.form.outreach_point.kecamatan_code,
            rule_set_id=request.rule_set_id,
        )
    )


@dataclass(frozen=True)
class EarlierDecision:
    verifier: str
    approved: bool


async def earlier_decision(deps: VerificationDeps, review: QueuedReview) -> EarlierDecision | None:
    """Who decided the review and how, from the log (verifier and verdict are in clear)."""
    for record in await deps.histories.read(review.stream_id):
        data = record.payload
        if record.event_type == "ManualReviewDecided" and data["request_id"] == review.request_id:
            return EarlierDecision(str(data["verifier"]), bool(data["approved"]))
    return None


async def decide_review(
    deps: VerificationDeps, review: QueuedReview, verifier: str, approved: bool, reason: str
) -> None:
    await deps.histories.record(
        review.stream_id,
        lambda h: [
            ToRecord(
                decide_manual_review(h, review.request_id, verifier, approved, reason),
                derived_id("review", review.request_id),
            )
        ],
        correlation_id=review.request_id,
    )
    await deps.queue.decided(review.tracking_code, verifier, approved, datetime.now(UTC))
