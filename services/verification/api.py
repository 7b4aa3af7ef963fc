"""The manual review queue over HTTP, for verifiers only."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from services.verification.handlers import VerificationDeps, decide_review
from services.verification.review_queue import QueuedReview
from shared.domain.applicant import DomainError
from shared.domain.requests import RequestForm, Text
from shared.http import Caller, Role, requires

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/reviews")
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


@router.get("/{tracking_code}", response_model=ReviewCase)
async def show(tracking_code: str, caller: Verifier, d: Deps) -> ReviewCase:
    """The whole case, personal data included: for the verifier who decides it."""
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, "no such review")
    # Who read whose data, by pseudonymous ids only: every such read is attributable, and
    # in the access log auditors read, with the review as its case.
    log.info("case read", extra={"caller": caller.name, "tracking_code": tracking_code})
    await d.access.record(caller.name, "review", review.stream_id, f"review:{tracking_code}")
    history = await d.applicants.load(review.stream_id)
    return ReviewCase(review=review, form=history.request(review.request_id).form)


@router.post("/{tracking_code}/claim", response_model=QueuedReview)
async def claim(tracking_code: str, caller: Verifier, d: Deps) -> QueuedReview:
    review = await d.queue.claim(tracking_code, caller.name)
    if review is None:
        raise HTTPException(409, "no such review, or another verifier has claimed it")
    return review


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved: bool
    reason: Text


@router.post("/{tracking_code}/decision", status_code=204)
async def decide(tracking_code: str, body: DecisionBody, caller: Verifier, d: Deps) -> None:
    review = await d.queue.get(tracking_code)
    if review is None:
        raise HTTPException(404, "no such review")
    if review.claimed_by != caller.name:
        raise HTTPException(409, "claim the review before deciding it")
    try:
        await decide_review(d, review, caller.name, body.approved, body.reason)
    except DomainError as exc:
        raise HTTPException(409, str(exc)) from None
