"""Everything that can happen to an applicant's requests, as it is kept in their log."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

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


@registry.register
class ManualReviewDecided(RequestEvent):
    event_type = "ManualReviewDecided"
    verifier: str
    approved: bool
    reason: Text


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
