"""An applicant's requests, rebuilt from their event log, and the commands on them.

Commands are plain functions: they look at the history and return the event to record,
or raise DomainError with a stable code. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.domain.events import (
    Decision,
    DocumentsRequested,
    DocumentsSupplied,
    ManualReviewDecided,
    ManualReviewRequired,
    NotificationAttempted,
    NotificationDelivered,
    NotificationFailed,
    PersonalDataErased,
    RequestEvent,
    RequestRejected,
    RequestSubmitted,
    RequestVerified,
    RequestWithdrawn,
    ReviewOutcome,
)
from shared.domain.request_ids import as_sent
from shared.domain.requests import Document, RequestForm, RequestKind
from shared.event_schema import DomainEvent


class Status(StrEnum):
    SUBMITTED = "submitted"
    DOCUMENTS_REQUESTED = "documents_requested"
    MANUAL_REVIEW = "manual_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN = frozenset({Status.SUBMITTED, Status.DOCUMENTS_REQUESTED, Status.MANUAL_REVIEW})


class DomainError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Notification:
    attempts: int = 0
    delivered: bool = False
    failed_for_good: bool = False
    open_attempt: bool = False  # attempted, no outcome recorded (a crash mid-send)


@dataclass
class RequestState:
    request_id: str
    tracking_code: str
    form: RequestForm
    submitted_at: datetime
    submitted_by: str  # the caller that took it: it (or a verifier) may follow it up
    status: Status = Status.SUBMITTED
    documents: set[Document] = field(default_factory=set)
    awaiting_decision: bool = True  # submitted, or documents supplied since the last decision
    missing_documents: tuple[Document, ...] = ()
    reasons: tuple[str, ...] = ()
    rule_set_id: str | None = None  # of the latest decision: its reasons are told in its words
    # The id of the ManualReviewRequired that opened the latest review round: a verifier's
    # decision is one per round, so a request back in review after documents is decided again.
    review_round: str | None = None
    notifications: dict[str, Notification] = field(default_factory=dict)
    closed_at: datetime | None = None  # when it last left the open states (retention)

    @property
    def kind(self) -> RequestKind:
        return self.form.kind


@dataclass
class ApplicantHistory:
    version: int = 0
    requests: dict[str, RequestState] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    # Per data class, how many erasures the log holds: new personal data of that class is
    # sealed under the key of this generation, never a destroyed one (shared/privacy/keys.py).
    key_generations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def rebuild(cls, events: Iterable[tuple[DomainEvent, str, datetime]]) -> ApplicantHistory:
        """Fold (event, event id, occurred at) in log order."""
        history = cls()
        for event, event_id, occurred_at in events:
            history.apply(event, event_id, occurred_at)
        return history

    def apply(self, event: DomainEvent, event_id: str, occurred_at: datetime) -> None:
        self.version += 1
        self.event_ids.add(event_id)
        if isinstance(event, PersonalDataErased):
            for data_class in event.classes:
                self.key_generations[data_class] = self.key_generations.get(data_class, 0) + 1
            return
        if isinstance(event, RequestSubmitted):
            self.requests[event.request_id] = RequestState(
                request_id=event.request_id,
                tracking_code=event.tracking_code,
                form=event.form,
                submitted_at=occurred_at,
                submitted_by=event.submitted_by,
                documents=set(event.form.documents),
            )
            return
        if not isinstance(event, RequestEvent) or event.request_id not in self.requests:
            return
        request = self.requests[event.request_id]
        status = status_after(event)
        if status is not None:
            request.status = status
            request.closed_at = None if status in OPEN else occurred_at
        reasons = reasons_after(event)
        if reasons is not None:
            request.reasons = reasons
        if isinstance(event, Decision):
            request.awaiting_decision = False
            request.rule_set_id = event.rule_set_id
            request.missing_documents = getattr(event, "documents", ())
            if isinstance(event, ManualReviewRequired):
                request.review_round = event_id
        elif isinstance(event, ManualReviewDecided):
            request.missing_documents = event.documents
        elif isinstance(event, DocumentsSupplied):
            request.documents |= event.documents
            request.awaiting_decision = True
        elif isinstance(event, RequestWithdrawn):
            request.awaiting_decision = False
        elif isinstance(event, NotificationAttempted | NotificationDelivered | NotificationFailed):
            _apply_notification(
                request.notifications.setdefault(event.notification_id, Notification()), event
            )

    # ---- questions the rules ask -----------------------------------------------------
    def ektp_recorded(self) -> bool:
        return any(
            r.kind is RequestKind.EKTP_RECORDING and r.status is Status.VERIFIED
            for r in self.requests.values()
        )

    def open_requests_before(self, kind: RequestKind, request_id: str) -> list[RequestState]:
        """Open requests of this kind submitted before `request_id` (in log order): a
        decision weighs only what came before the request it decides, so of two requests
        sent close together the first is decided on its own and the second is the repeat."""
        earlier = []
        for request in self.requests.values():  # in the order they were submitted
            if request.request_id == request_id:
                break
            if request.kind is kind and request.status in OPEN:
                earlier.append(request)
        return earlier

    def sent_before_scoping(self, sent_id: str, caller: str) -> RequestState | None:
        """The request `caller` sent as `sent_id` before request ids were scoped (stored
        under the bare id), if any: a device resending it after the upgrade means it."""
        request = self.requests.get(sent_id)
        return request if request is not None and request.submitted_by == caller else None

    def by_tracking_code(self, code: str) -> RequestState | None:
        return next((r for r in self.requests.values() if r.tracking_code == code), None)

    def request(self, request_id: str) -> RequestState:
        try:
            return self.requests[request_id]
        except KeyError:
            raise DomainError("unknown_request", "no such request") from None


# Where a verifier's decision leaves a request.
REVIEWED = {
    ReviewOutcome.APPROVED: Status.VERIFIED,
    ReviewOutcome.REJECTED: Status.REJECTED,
    ReviewOutcome.DOCUMENTS_REQUESTED: Status.DOCUMENTS_REQUESTED,
}


def status_after(event: DomainEvent) -> Status | None:
    """The status a request has after `event`; None for events that leave it as it was.
    The one place that says it: the history, the status page and notification use it."""
    match event:
        case RequestSubmitted() | DocumentsSupplied():
            return Status.SUBMITTED
        case RequestVerified():
            return Status.VERIFIED
        case RequestRejected():
            return Status.REJECTED
        case DocumentsRequested():
            return Status.DOCUMENTS_REQUESTED
        case ManualReviewRequired():
            return Status.MANUAL_REVIEW
        case ManualReviewDecided(outcome=outcome):
            return REVIEWED[outcome]
        case RequestWithdrawn():
            return Status.WITHDRAWN
    return None


def reasons_after(event: DomainEvent) -> tuple[str, ...] | None:
    """The reason codes a request has after `event` (why it is where it is); None for
    events that leave them as they were. The one place that says it: the history (the
    status page), notification's letters and the dashboard's top reasons use it."""
    match event:
        case RequestRejected(reasons=reasons) | ManualReviewRequired(reasons=reasons):
            return reasons
        case DocumentsRequested():
            return ("documents_missing",)  # its sentence names the documents
        case RequestVerified():
            return ()
        case ManualReviewDecided(outcome=ReviewOutcome.APPROVED):
            return ()
        case ManualReviewDecided(outcome=ReviewOutcome.REJECTED):
            return ("manual_review_rejected",)
        case ManualReviewDecided(outcome=ReviewOutcome.DOCUMENTS_REQUESTED):
            return ("manual_review_documents",)  # its sentence names the documents
    return None


# The events that change a request's status (what `status_after` answers for).
STATUS_EVENTS: tuple[type[RequestEvent], ...] = (
    RequestSubmitted,
    DocumentsSupplied,
    RequestVerified,
    RequestRejected,
    DocumentsRequested,
    ManualReviewRequired,
    ManualReviewDecided,
    RequestWithdrawn,
)
# Applicants are told of every status but "submitted": the officer tells them that, with
# the tracking code, at the counter.
TOLD = frozenset(Status) - {Status.SUBMITTED}


def _apply_notification(
    state: Notification, event: NotificationAttempted | NotificationDelivered | NotificationFailed
) -> None:
    if isinstance(event, NotificationAttempted):
        state.attempts, state.open_attempt = event.attempt, True
    elif isinstance(event, NotificationDelivered):
        state.delivered, state.open_attempt = True, False
    else:
        state.open_attempt, state.failed_for_good = False, event.final


# ---- commands ---------------------------------------------------------------------------
def submit(
    history: ApplicantHistory,
    request_id: str,
    tracking_code: str,
    form: RequestForm,
    caller: str,
    channel: str,
) -> RequestSubmitted | None:
    """The event that records a new request; None if it is recorded already, as it is (a
    device sending again). The same id with another form is refused."""
    existing = history.requests.get(request_id) or history.sent_before_scoping(
        as_sent(request_id), caller
    )
    if existing is not None:
        if existing.form != form:
            raise DomainError(
                "request_id_reused", "request id already used for a different request"
            )
        return None
    return RequestSubmitted(
        request_id=request_id,
        tracking_code=tracking_code,
        form=form,
        submitted_by=caller,
        channel=channel,
    )


def withdraw(
    history: ApplicantHistory, request_id: str, caller: str, reason: str
) -> RequestWithdrawn:
    request = history.request(request_id)
    if request.status not in OPEN:
        raise DomainError("not_open", f"a request that is {request.status} cannot be withdrawn")
    return RequestWithdrawn(request_id=request_id, withdrawn_by=caller, reason=reason)


def supply_documents(
    history: ApplicantHistory, request_id: str, documents: frozenset[Document], caller: str
) -> DocumentsSupplied:
    request = history.request(request_id)
    if request.status is not Status.DOCUMENTS_REQUESTED:
        raise DomainError("no_documents_requested", "no documents were asked for this request")
    if not documents:
        raise DomainError("no_documents", "name at least one document")
    return DocumentsSupplied(request_id=request_id, documents=documents, supplied_by=caller)
