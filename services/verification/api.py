"""The manual review queue over HTTP, for verifiers only (the workqueue page at /app/
is its client)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.verification.handlers import (
    VerificationDeps,
    decide_review,
    earlier_decision,
)
from services.verification.review_queue import QueuedReview
from shared.domain.applicant import DomainError
from shared.domain.events import ReviewOutcome
from shared.domain.messages import Reason
from shared.domain.requests import Document, Language, RequestForm, RequestKind, Text
from shared.rulesets import load_reason_texts
from shared.web.api_errors import GUARDED, WITH_BODY, Problem, errors
from shared.web.http import Caller, Role, requires

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/reviews", responses=errors(*GUARDED))
NO_REVIEW = "no such review"
DOCUMENT_ERRORS = frozenset({"no_documents", "unknown_documents", "documents_not_asked"})
Verifier = Annotated[Caller, Depends(requires(Role.VERIFIER))]


def deps(request: Request) -> VerificationDeps:
    verification: VerificationDeps = request.app.state.verification
    return verification


Deps = Annotated[VerificationDeps, Depends(deps)]


class ReviewConflict(Problem):
    """Another verifier holds the case, or has decided it: who, and what they decided."""

    claimed_by: str | None = None
    claimed_until: datetime | None = None
    decided_by: str | None = None
    outcome: ReviewOutcome | None = None
    approved: bool | None = Field(None, description="outcome is approved (older clients)")


CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ReviewConflict, "description": "Claimed by another, or decided"}
}


def conflict(review: QueuedReview, caller: str) -> JSONResponse:
    if review.decided_by is not None:
        # Marked before outcomes existed: approved or not.
        verdict = review.outcome or (
            ReviewOutcome.APPROVED if review.approved else ReviewOutcome.REJECTED
        )
        body = ReviewConflict(
            detail=f"already decided by {review.decided_by}: {verdict.value}",
            decided_by=review.decided_by,
            outcome=verdict,
            approved=verdict is ReviewOutcome.APPROVED,
        )
    elif review.claimed_by not in (None, caller):
        body = ReviewConflict(
            detail=f"claimed by {review.claimed_by}",
            claimed_by=review.claimed_by,
            claimed_until=review.claimed_until,
        )
    else:
        body = ReviewConflict(detail="claim the review before deciding it")
    return JSONResponse(body.model_dump(mode="json"), 409)


@router.get("", response_model=list[QueuedReview])
async def list_reviews(
    _: Verifier,
    d: Deps,
    kind: RequestKind | None = None,
    kecamatan: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    reason: Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$")] = None,
) -> list[QueuedReview]:
    """Requests waiting for a verifier, oldest first, each with its claim (no personal
    data in the list); narrowed by kind, kecamatan code and reason code."""
    waiting = await d.queue.list(limit=1000)
    return [
        r
        for r in waiting
        if (kind is None or r.kind == kind.value)
        and (kecamatan is None or r.kecamatan_code == kecamatan)
        and (reason is None or reason in r.reasons)
    ][:100]


class ReviewCase(BaseModel):
    review: QueuedReview
    form: RequestForm
    reasons: list[Reason] = Field(description="Why it needs a verifier, in plain words")
    documents: list[Document] = Field(description="Documents the applicant has supplied")
    documents_to_ask: list[Document] = Field(
        description="What a verifier may ask the applicant for: the rule set's documents"
    )


@router.get("/{tracking_code}", response_model=ReviewCase, responses=errors(404, e404=NO_REVIEW))
async def show(
    tracking_code: str, caller: Verifier, d: Deps, lang: Language = Language.INDONESIAN
) -> ReviewCase:
    """The whole case, personal data included: for the verifier who decides it. Every
    read is recorded in the access log with the review as its case."""
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, NO_REVIEW)
    # Who read whose data, by pseudonymous ids only: every such read is attributable, and
    # in the access log auditors read, with the review as its case.
    log.info("case read", extra={"caller": caller.name, "tracking_code": tracking_code})
    await d.access.record(caller.name, "review", review.stream_id, f"review:{tracking_code}")
    history = await d.histories.load(review.stream_id)
    request = history.request(review.request_id)
    rule_set = review.rule_set_id or request.rule_set_id
    reasons = (
        load_reason_texts(rule_set).explain(
            review.reasons, lang, request.kind, tracking_code, request.missing_documents
        )
        if rule_set
        else []
    )
    return ReviewCase(
        review=review,
        form=request.form,
        reasons=reasons,
        documents=sorted(request.documents),
        documents_to_ask=sorted(d.rules.documents()),
    )


@router.post(
    "/{tracking_code}/claim",
    response_model=QueuedReview,
    responses={**errors(*WITH_BODY, 404, e404=NO_REVIEW), **CONFLICT},
)
async def claim(
    tracking_code: str, caller: Verifier, d: Deps, request: Request
) -> QueuedReview | JSONResponse:
    """Take the case for `review_claim_minutes` (again: longer); others see who has it."""
    now = datetime.now(UTC)
    minutes: float = request.app.state.settings.review_claim_minutes
    review = await d.queue.claim(tracking_code, caller.name, now + timedelta(minutes=minutes), now)
    if review is not None:
        return review
    current = await d.queue.get(tracking_code)
    if current is None:
        raise HTTPException(404, NO_REVIEW)
    return conflict(current, caller.name)


class DecisionBody(BaseModel):
    """`outcome` (or, as before it, `approved`), the reason, and for
    `documents_requested` the documents the applicant is asked for."""

    model_config = ConfigDict(extra="forbid")
    outcome: ReviewOutcome | None = Field(
        None, description="approved, rejected, or documents_requested (name `documents`)"
    )
    approved: StrictBool | None = Field(
        None, description="Before `outcome`: true approves, false rejects; give one of the two"
    )
    documents: list[Document] = Field(
        default_factory=list,
        max_length=len(Document),
        description="With documents_requested only: what the applicant must bring, from the "
        "rule set's documents",
    )
    reason: Text

    @model_validator(mode="after")
    def _one_verdict(self) -> DecisionBody:
        if (self.outcome is None) == (self.approved is None):
            raise ValueError("give outcome (or approved), not both")
        if (self.verdict() is ReviewOutcome.DOCUMENTS_REQUESTED) != bool(self.documents):
            raise ValueError("name documents exactly when the outcome is documents_requested")
        return self

    def verdict(self) -> ReviewOutcome:
        if self.outcome is not None:
            return self.outcome
        return ReviewOutcome.APPROVED if self.approved else ReviewOutcome.REJECTED


@router.post(
    "/{tracking_code}/decision",
    status_code=204,
    response_model=None,
    responses={**errors(*WITH_BODY, 404, e404=NO_REVIEW), **CONFLICT},
)
async def decide(
    tracking_code: str, body: DecisionBody, caller: Verifier, d: Deps
) -> JSONResponse | None:
    """Decide a claimed case, with the reason: approve, reject, or ask the applicant for
    documents (named; the request then waits for them, and goes through the rules again
    once they are supplied). Decided already (by anyone): 409 naming who decided and how;
    nothing is decided twice in one review round."""
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, NO_REVIEW)
    if review.decided_by is not None or review.claimed_by != caller.name:
        return conflict(review, caller.name)
    try:
        await decide_review(
            d, review, caller.name, body.verdict(), body.reason, frozenset(body.documents)
        )
    except DomainError as exc:
        if exc.code in DOCUMENT_ERRORS:
            error = {"type": "value_error", "loc": ("body", "documents"), "msg": str(exc)}
            raise RequestValidationError([error]) from None
        # Lost a race: the log knows who won, even before the queue is marked.
        earlier = await earlier_decision(d, review)
        if earlier is None:
            raise HTTPException(409, str(exc)) from None
        decided = review.model_copy(
            update={"decided_by": earlier.verifier, "outcome": earlier.outcome}
        )
        return conflict(decided, caller.name)
    return None
