"""The manual review queue over HTTP, for verifiers only."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, StrictBool

from services.verification.handlers import VerificationDeps, decide_review
from services.verification.review_queue import QueuedReview
from shared.api_errors import GUARDED, WITH_BODY, errors
from shared.domain.applicant import DomainError
from shared.domain.requests import RequestForm, Text
from shared.http import Caller, Role, requires

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/reviews", responses=errors(*GUARDED))
NO_REVIEW = "no such review"
Verifier = Annotated[Caller, Depends(requires(Role.VERIFIER))]


def deps(request: Request) -> VerificationDeps:
    verification: VerificationDeps = request.app.state.verification
    return verification


Deps = Annotated[VerificationDeps, Depends(deps)]


@router.get("", response_model=list[QueuedReview])
async def list_reviews(_: Verifier, d: Deps) -> list[QueuedReview]:
    """Requests waiting for a verifier, oldest first (no personal data in the list)."""
    return await d.queue.list()


class ReviewCase(BaseModel):
    review: QueuedReview
    form: RequestForm


@router.get("/{tracking_code}", response_model=ReviewCase, responses=errors(404, e404=NO_REVIEW))
async def show(tracking_code: str, caller: Verifier, d: Deps) -> ReviewCase:
    """The whole case, personal data included: for the verifier who decides it."""
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, NO_REVIEW)
    # Who read whose data, by pseudonymous ids only: every such read is attributable, and
    # in the access log auditors read, with the review as its case.
    log.info("case read", extra={"caller": caller.name, "tracking_code": tracking_code})
    await d.access.record(caller.name, "review", review.stream_id, f"review:{tracking_code}")
    history = await d.histories.load(review.stream_id)
    return ReviewCase(review=review, form=history.request(review.request_id).form)


@router.post(
    "/{tracking_code}/claim",
    response_model=QueuedReview,
    responses=errors(*WITH_BODY, 409, e409="No such review, or another verifier has claimed it"),
)
async def claim(tracking_code: str, caller: Verifier, d: Deps) -> QueuedReview:
    review = await d.queue.claim(tracking_code, caller.name)
    if review is None:
        raise HTTPException(409, "no such review, or another verifier has claimed it")
    return review


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved: StrictBool
    reason: Text


@router.post(
    "/{tracking_code}/decision",
    status_code=204,
    responses=errors(
        *WITH_BODY, 404, 409, e404=NO_REVIEW, e409="Not claimed by the caller, or already decided"
    ),
)
async def decide(tracking_code: str, body: DecisionBody, caller: Verifier, d: Deps) -> None:
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, NO_REVIEW)
    if review.claimed_by != caller.name:
        raise HTTPException(409, "claim the review before deciding it")
    try:
        await decide_review(d, review, caller.name, body.approved, body.reason)
    except DomainError as exc:
        raise HTTPException(409, str(exc)) from None
