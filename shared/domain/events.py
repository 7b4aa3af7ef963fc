"""Everything that can happen to an applicant's requests, as it is kept in their log."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from shared.domain.requests import Document, RequestForm, Strict, Text
from shared.event_schema import DomainEvent, EventRegistry
from shared.event_schema.base import JsonObject

registry = EventRegistry()


class RuleEffect(StrEnum):
    PASSED = "passed"
    REJECT = "reject"
    REQUEST_DOCUMENTS = "request_documents"
    MANUAL_REVIEW = "manual_review"


class RuleOutcome(Strict):
    """One rule's verdict inside a decision."""

    rule: str
    effect: RuleEffect
    reason: str | None = None  # a stable code, e.g. "ektp_under_age"
    documents: tuple[Document, ...] = ()


class RequestEvent(DomainEvent):
    # `<sender's scope>:<id as sent>` (shared/domain/request_ids.py); up to 64 characters
    # as sent (a scope is at most `kafka:` and a 249-character topic name), and the bare
    # id in events stored before ids were scoped.
    request_id: str = Field(min_length=1, max_length=320)


@registry.register
class RequestSubmitted(RequestEvent):
    """v2: stored with its personal fields sealed (shared/privacy); read in the clear."""

    event_type = "RequestSubmitted"
    schema_version = 2
    tracking_code: str
    form: RequestForm
    submitted_by: str  # the caller (API key name), never personal data
    channel: str  # "http", "http-batch" or "kafka"


@registry.upcaster("RequestSubmitted", from_version=1)
def _stored_in_clear(payload: JsonObject) -> JsonObject:
    # v1 was stored in clear; a v2 opened by its keys has the same shape. The v1 events
    # stay as they are (the log is insert-only): they cannot be erased by their keys.
    return payload


class Decision(RequestEvent):
    rule_set_id: str
    region_table: str
    outcomes: tuple[RuleOutcome, ...]


@registry.register
class RequestVerified(Decision):
    event_type = "RequestVerified"


@registry.register
class RequestRejected(Decision):
    event_type = "RequestRejected"
    reasons: tuple[str, ...]


@registry.register
class DocumentsRequested(Decision):
    event_type = "DocumentsRequested"
    documents: tuple[Document, ...]


@registry.register
class ManualReviewRequired(Decision):
    event_type = "ManualReviewRequired"
    reasons: tuple[str, ...]


class ReviewOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    DOCUMENTS_REQUESTED = "documents_requested"


@registry.register
class ManualReviewDecided(RequestEvent):
    """A verifier's decision on one review round. v2: `outcome` (approved, rejected, or
    the applicant asked for the `documents` named) in place of v1's `approved`, and the
    round it decides (`round_id`: the id of the ManualReviewRequired that opened it; None
    in v1, when a request had one round only). Its free-text reason is sealed like v1's
    (retention policy: the sealed fields did not change, so neither did the policy)."""

    event_type = "ManualReviewDecided"
    schema_version = 2
    verifier: str
    outcome: ReviewOutcome
    documents: tuple[Document, ...] = ()
    reason: Text
    round_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _documents_only_when_asked(self) -> ManualReviewDecided:
        asked = self.outcome is ReviewOutcome.DOCUMENTS_REQUESTED
        if asked != bool(self.documents):
            raise ValueError("documents are named exactly when documents are requested")
        return self

    @property
    def approved(self) -> bool:
        return self.outcome is ReviewOutcome.APPROVED


class ManualReviewDecidedV1(RequestEvent):
    """ManualReviewDecided as v1 stored it (approved or not, one per request): the shape
    the upcaster reads and the AsyncAPI document describes; never written now."""

    event_type = "ManualReviewDecided"
    verifier: str
    approved: bool
    reason: Text


# The shape of each older schema version whose fields differ from the current model's.
EARLIER_SHAPES: dict[tuple[str, int], type[RequestEvent]] = {
    ("ManualReviewDecided", 1): ManualReviewDecidedV1,
}


@registry.upcaster("ManualReviewDecided", from_version=1)
def _approved_as_outcome(payload: JsonObject) -> JsonObject:
    # v1 could only approve or reject, once per request (no round). Stored v1 events stay
    # as they are (insert-only log); they are read as v2. The reason is left as stored.
    approved = payload.pop("approved")
    return {**payload, "outcome": "approved" if approved else "rejected"}


@registry.register
class DocumentsSupplied(RequestEvent):
    event_type = "DocumentsSupplied"
    documents: frozenset[Document]
    supplied_by: str


@registry.register
class RequestWithdrawn(RequestEvent):
    event_type = "RequestWithdrawn"
    withdrawn_by: str
    reason: Text


@registry.register
class NotificationAttempted(RequestEvent):
    """Recorded before a message is handed to a channel."""

    event_type = "NotificationAttempted"
    notification_id: str  # one per (decision event, channel)
    channel: str
    template: str
    attempt: int


@registry.register
class NotificationDelivered(RequestEvent):
    event_type = "NotificationDelivered"
    notification_id: str
    attempt: int


@registry.register
class NotificationFailed(RequestEvent):
    event_type = "NotificationFailed"
    notification_id: str
    attempt: int
    error: str  # an error class and code, never a message with personal data
    final: bool


@registry.register
class PersonalDataErased(DomainEvent):
    """An applicant's erasable personal data destroyed (their data keys): names the classes
    and the keys, the case and who approved it. v2: its free-text reason is sealed (it may
    name who asked: retention policy jaksel-2027.02); read in the clear."""

    event_type = "PersonalDataErased"
    schema_version = 2
    classes: tuple[str, ...]
    key_refs: tuple[str, ...]  # the destroyed keys: ciphertext under them reads as erased
    case_reference: str
    erased_by: str  # the auditor, or "retention:<policy id>" for the sweep
    reason: str = Field(max_length=500)
    clear_events: int  # events of this applicant stored in clear before sealing (not erasable)


@registry.upcaster("PersonalDataErased", from_version=1)
def _reason_in_clear(payload: JsonObject) -> JsonObject:
    # v1 kept its reason in clear on the topic and in the log; a v2 opened by its keys has
    # the same shape. v1 events stay as they are (insert-only log): read, never rewritten.
    return payload
