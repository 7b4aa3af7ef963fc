"""Verification's reactions to events, and the verifier's manual decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.verification.review_queue import Decided, QueuedReview, ReviewQueuePort
from shared.domain.applicant import ApplicantHistory, Status
from shared.domain.calendar import local_date
from shared.domain.events import (
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    RequestSubmitted,
    RequestWithdrawn,
    ReviewOutcome,
    registry,
)
from shared.domain.regions import RegionTable
from shared.domain.requests import Document
from shared.domain.reviews import decide_manual_review
from shared.domain.rules import Context, RuleSet, decide
from shared.event_schema import RecordedEvent
from shared.observability import pipeline_metrics
from shared.repositories.access_log import AccessLogPort
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id


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
        decision = Decided(event.round_id, event.verifier, event.outcome, record.recorded_at)
        await deps.queue.decided(request.tracking_code, decision)
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
            round_id=request.review_round,
        )
    )


@dataclass(frozen=True)
class EarlierDecision:
    verifier: str
    outcome: ReviewOutcome


async def earlier_decision(deps: VerificationDeps, review: QueuedReview) -> EarlierDecision | None:
    """Who decided the review's round and how, from the log (verifier and outcome are in
    clear; a v1 decision is read as v2, its round the request's only one)."""
    for record in await deps.histories.read(review.stream_id):
        if record.event_type != ManualReviewDecided.event_type:
            continue
        data = registry.upcast(record.event_type, record.schema_version, record.payload)
        # An entry queued before rounds were kept (None) is the request's first round.
        same_round = review.round_id is None or data.get("round_id") == review.round_id
        if data["request_id"] == review.request_id and same_round:
            return EarlierDecision(str(data["verifier"]), ReviewOutcome(data["outcome"]))
    return None


def decision_id(round_id: str | None, request_id: str) -> str:
    """One decision per review round: its id derives from the ManualReviewRequired that
    opened the round (before rounds, from the request: a request had one)."""
    return derived_id("review", round_id) if round_id else derived_id("review", request_id)


async def decide_review(
    deps: VerificationDeps,
    review: QueuedReview,
    verifier: str,
    outcome: ReviewOutcome,
    reason: str,
    documents: frozenset[Document] = frozenset(),
) -> None:
    """Record a verifier's decision on the review's round; DomainError if the request is
    not in review (any more) or the documents are not the rule set's."""

    def decision(history: ApplicantHistory) -> list[ToRecord]:
        request = history.request(review.request_id)
        made = decide_manual_review(
            history, review.request_id, verifier, outcome, reason, documents, deps.rules.documents()
        )
        return [ToRecord(made, decision_id(request.review_round, review.request_id))]

    await deps.histories.record(review.stream_id, decision, correlation_id=review.request_id)
    mark = Decided(review.round_id, verifier, outcome, datetime.now(UTC))
    await deps.queue.decided(review.tracking_code, mark)
