"""Intake's use cases: small functions that name what they need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from shared.domain.applicant import (
    ApplicantHistory,
    DomainError,
    RequestState,
    Status,
    supply_documents,
    withdraw,
)
from shared.domain.applicant import submit as submit_request
from shared.domain.messages import Reason, next_step, reason_codes
from shared.domain.request_ids import scoped
from shared.domain.requests import Document, Language, RequestForm, Text
from shared.eventstore.store import IdempotencyConflictError
from shared.formats.instant import Instant
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id
from shared.repositories.tracking import (
    Tracked,
    TrackingConflictError,
    TrackingIndex,
    tracking_code,
)
from shared.rulesets import load_reason_texts
from shared.web.api_keys import Role


def _no_id_number(value: str) -> str:
    # A request id is in clear everywhere (events, topics, URLs, the dashboard): sixteen
    # digits in a row would be a NIK or a family card number, which must never be.
    if re.search(r"[0-9]{16}", value):
        raise ValueError("must not contain 16 digits in a row (a NIK or a family card number)")
    return value


RequestId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$"), AfterValidator(_no_id_number)
]
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2016, 1, 1, tzinfo=UTC)  # before the first outreach campaign


class Submission(RequestForm):
    """A request as posted: the form, plus the device's own id and time when it has them."""

    request_id: RequestId | None = None
    occurred_at: Instant | None = None

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            value = value.astimezone(UTC)
        except OverflowError:  # e.g. year 1 at +14:00
            raise ValueError("occurred_at is out of range") from None
        if value < EARLIEST:
            raise ValueError("occurred_at is before jemput existed")
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("occurred_at is in the future")
        return value

    def form(self) -> RequestForm:
        return RequestForm.model_validate(self.model_dump(exclude={"request_id", "occurred_at"}))


class Accepted(BaseModel):
    request_id: str
    tracking_code: str
    result: Literal["accepted", "duplicate"]


@dataclass(frozen=True)
class IntakeDeps:
    histories: ApplicantHistories
    tracking: TrackingIndex
    tracking_key: bytes


class SubmissionConflictError(ValueError):
    """The request id was used before for a different request.

    One text whatever the difference (another applicant, or the same one with another
    form): a different answer would tell a caller whether a NIK has requests here."""

    def __init__(self) -> None:
        super().__init__("request id already used for a different request")


async def submit(
    deps: IntakeDeps, submission: Submission, caller: str, channel: str, new_request_id: str
) -> Accepted:
    """Record a request under the caller's scope (shared/domain/request_ids.py): one
    caller's ids are not another's, so nobody can claim a device's ids before it."""
    sent_id = submission.request_id or new_request_id
    request_id = scoped(caller, sent_id)
    form = submission.form()
    stream_id = deps.histories.stream_of(form.applicant.nik)
    code = tracking_code(deps.tracking_key, request_id)
    try:
        await deps.tracking.add(code, Tracked(stream_id, request_id))
    except TrackingConflictError:
        raise SubmissionConflictError from None

    def decide(history: ApplicantHistory) -> list[ToRecord]:
        try:
            event = submit_request(history, request_id, code, form, caller, channel)
        except DomainError:  # the id with another form: one text, whatever differs
            raise SubmissionConflictError from None
        if event is None:
            return []
        return [ToRecord(event, derived_id("submitted", request_id), submission.occurred_at)]

    try:
        history, recorded = await deps.histories.record(
            stream_id, decide, correlation_id=request_id
        )
    except IdempotencyConflictError:
        raise SubmissionConflictError from None
    # A request this caller sent before ids were scoped answers with its own code.
    earlier = (
        None
        if recorded or request_id in history.requests
        else history.sent_before_scoping(sent_id, caller)
    )
    return Accepted(
        request_id=sent_id,
        tracking_code=code if earlier is None else earlier.tracking_code,
        result="accepted" if recorded else "duplicate",
    )


def may_follow_up(request: RequestState, caller: str, role: Role) -> bool:
    """Who may withdraw a request or add its documents: the caller that took it (the same
    device or key) or a verifier. Its tracking code is on the applicant's receipt, so
    holding the code is not enough."""
    return role is Role.VERIFIER or request.submitted_by == caller


class StatusView(BaseModel):
    tracking_code: str
    kind: str
    status: Status
    next_step: str = Field(
        description="What happened and what to do, in the applicant's language (with the "
        "reasons' sentences, never their codes)"
    )
    reasons: list[Reason] = Field(
        description="Why the request is where it is (rejected, in review, documents "
        "asked for), in the applicant's language; empty otherwise"
    )
    submitted_at: datetime
    language: Language = Field(description="The language of `next_step` and `reasons`")


async def find(deps: IntakeDeps, code: str) -> tuple[Tracked, RequestState] | None:
    tracked = await deps.tracking.find(code)
    if tracked is None:
        return None
    history = await deps.histories.load(tracked.stream_id)
    request = history.requests.get(tracked.request_id)
    return None if request is None else (tracked, request)


def status_view(request: RequestState, language: Language | None = None) -> StatusView:
    """Only what the holder of the code needs: no name, no NIK, no address. In the
    applicant's language unless another is asked for (the status page's switch)."""
    language = language or request.form.applicant.language
    codes = reason_codes(request)
    reasons = (
        load_reason_texts(request.rule_set_id).explain(
            codes, language, request.kind, request.tracking_code, request.missing_documents
        )
        if codes and request.rule_set_id
        else []
    )
    return StatusView(
        tracking_code=request.tracking_code,
        kind=request.kind.value,
        language=language,
        status=request.status,
        submitted_at=request.submitted_at,
        next_step=next_step(request.status, language, request.kind, request.tracking_code, reasons),
        reasons=reasons,
    )


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class DocumentsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: frozenset[Document] = Field(min_length=1)


async def withdraw_request(deps: IntakeDeps, tracked: Tracked, caller: str, reason: str) -> None:
    await deps.histories.record(
        tracked.stream_id,
        lambda h: [
            ToRecord(
                withdraw(h, tracked.request_id, caller, reason),
                derived_id("withdrawn", tracked.request_id),
            )
        ],
        correlation_id=tracked.request_id,
    )


async def add_documents(
    deps: IntakeDeps, tracked: Tracked, caller: str, documents: frozenset[Document]
) -> None:
    def decide(history: ApplicantHistory) -> list[ToRecord]:
        event = supply_documents(history, tracked.request_id, documents, caller)
        # One supply per decision round: the id names the round, so a retry is a no-op.
        round_ = str(history.version)
        return [ToRecord(event, derived_id("documents", tracked.request_id, round_))]

    await deps.histories.record(tracked.stream_id, decide, correlation_id=tracked.request_id)
