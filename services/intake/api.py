"""Intake's HTTP API: submit (one or a batch), follow up by tracking code."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError

from services.intake.handlers import (
    Accepted,
    DocumentsBody,
    IntakeDeps,
    StatusView,
    Submission,
    SubmissionConflictError,
    WithdrawBody,
    add_documents,
    find,
    may_follow_up,
    status_view,
    submit,
    withdraw_request,
)
from shared.domain.applicant import DomainError
from shared.domain.requests import Language
from shared.repositories.tracking import Tracked
from shared.web.api_errors import ANY, GUARDED, WITH_BODY, errors
from shared.web.http import Caller, Role, field_errors, requires

router = APIRouter(prefix="/v1")
NO_CODE = "no request with this tracking code"
CONFLICT = "The request id was used before for a different request"
CLOSED = "The request is already decided or withdrawn"
NOT_ASKED = "The request is not waiting for documents, or none were named"
NO_CODE_OR_NOT_YOURS = (
    "no request with this tracking code that this key may follow up "
    "(the device that took it, or a verifier, may)"
)
Officer = Annotated[Caller, Depends(requires(Role.OFFICER, Role.SERVICE))]


def deps(request: Request) -> IntakeDeps:
    intake: IntakeDeps = request.app.state.intake
    return intake


Deps = Annotated[IntakeDeps, Depends(deps)]


@router.post(
    "/requests",
    status_code=201,
    response_model=Accepted,
    responses=errors(*GUARDED, *WITH_BODY, 409, e409=CONFLICT),
)
async def submit_one(submission: Submission, caller: Officer, d: Deps) -> Accepted:
    """Submit one request. Sending the same `request_id` again answers `duplicate`."""
    try:
        return await submit(d, submission, caller.name, "http", uuid.uuid4().hex)
    except SubmissionConflictError as exc:
        raise HTTPException(409, str(exc)) from None


class BatchItemResult(BaseModel):
    index: int
    result: str  # accepted | duplicate | invalid | conflict
    request_id: str | None = None
    tracking_code: str | None = None
    errors: list[dict[str, str]] = []


class BatchResult(BaseModel):
    items: list[BatchItemResult]


@router.post(
    "/requests/batch",
    response_model=BatchResult,
    responses=errors(
        *GUARDED, *WITH_BODY, e413="The body is larger than the limit, or has too many items"
    ),
)
async def submit_batch(
    items: Annotated[list[dict[str, Any]], Body(embed=True)],
    caller: Officer,
    d: Deps,
    request: Request,
) -> BatchResult:
    """Many requests from a device that was offline; each item must carry its `request_id`.

    Answers per item; sending the same batch again changes nothing.
    """
    limit: int = request.app.state.settings.max_batch_items
    if len(items) > limit:
        raise HTTPException(413, f"at most {limit} items per batch")
    results = []
    for index, item in enumerate(items):
        try:
            submission = Submission.model_validate(item)
            if submission.request_id is None:
                raise ValueError("request_id is required in a batch")
        except ValidationError as exc:
            results.append(BatchItemResult(index=index, result="invalid", errors=field_errors(exc)))
            continue
        except ValueError as exc:
            results.append(
                BatchItemResult(
                    index=index,
                    result="invalid",
                    errors=[{"field": "request_id", "error": "missing", "message": str(exc)}],
                )
            )
            continue
        try:
            accepted = await submit(d, submission, caller.name, "http-batch", "")
        except SubmissionConflictError as exc:
            results.append(
                BatchItemResult(
                    index=index,
                    result="conflict",
                    request_id=submission.request_id,
                    errors=[{"field": "request_id", "error": "conflict", "message": str(exc)}],
                )
            )
            continue
        results.append(
            BatchItemResult(
                index=index,
                result=accepted.result,
                request_id=accepted.request_id,
                tracking_code=accepted.tracking_code,
            )
        )
    return BatchResult(items=results)


@router.get(
    "/status/{tracking_code}",
    response_model=StatusView,
    responses=errors(404, 429, *ANY, e404=NO_CODE),
)
async def status(tracking_code: str, d: Deps, lang: Language | None = None) -> StatusView:
    """For applicants: the status and next step of a request, nothing personal; in the
    applicant's language, or in `lang`. Limited per client (429 with `Retry-After`)."""
    found = await find(d, tracking_code)
    if found is None:
        raise HTTPException(404, NO_CODE)
    return status_view(found[1], lang)


FollowUpCaller = Annotated[Caller, Depends(requires(Role.OFFICER, Role.SERVICE, Role.VERIFIER))]


async def followable(tracking_code: str, caller: FollowUpCaller, d: Deps) -> Tracked:
    """The request, if this caller may follow it up (may_follow_up). Anyone else hears
    one text whether the code exists or not (a verifier may follow up any request, so
    for a verifier a code that does not exist is a 404)."""
    found = await find(d, tracking_code)
    if found is None and caller.role is Role.VERIFIER:
        raise HTTPException(404, NO_CODE)
    if found is None or not may_follow_up(found[1], caller.name, caller.role):
        raise HTTPException(403, NO_CODE_OR_NOT_YOURS)
    return found[0]


Followable = Annotated[Tracked, Depends(followable)]
FOLLOW_UP_ERRORS = (*GUARDED, *WITH_BODY, 404, 409)


@router.post(
    "/requests/{tracking_code}/withdraw",
    status_code=204,
    responses=errors(*FOLLOW_UP_ERRORS, e403=NO_CODE_OR_NOT_YOURS, e404=NO_CODE, e409=CLOSED),
)
async def withdraw(
    request: Followable, body: WithdrawBody, caller: FollowUpCaller, d: Deps
) -> None:
    """Withdraw a request: by the device (key) that took it, or a verifier."""
    try:
        await withdraw_request(d, request, caller.name, body.reason)
    except DomainError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post(
    "/requests/{tracking_code}/documents",
    status_code=204,
    responses=errors(*FOLLOW_UP_ERRORS, e403=NO_CODE_OR_NOT_YOURS, e404=NO_CODE, e409=NOT_ASKED),
)
async def documents(
    request: Followable, body: DocumentsBody, caller: FollowUpCaller, d: Deps
) -> None:
    """Documents the applicant brought after verification asked for them: by the device
    (key) that took the request, or a verifier."""
    try:
        await add_documents(d, request, caller.name, body.documents)
    except DomainError as exc:
        raise HTTPException(409, str(exc)) from None
