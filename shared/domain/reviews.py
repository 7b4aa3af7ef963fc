"""A verifier's decision on a request's review round: approve, reject, or ask the
applicant for documents. A plain function over the history, like the other commands
(shared/domain/applicant.py); no I/O here."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.applicant import ApplicantHistory, DomainError, Status
from shared.domain.events import ManualReviewDecided, ReviewOutcome
from shared.domain.requests import Document, Text


def decide_manual_review(
    history: ApplicantHistory,
    request_id: str,
    verifier: str,
    outcome: ReviewOutcome,
    reason: Text,
    documents: Iterable[Document] = (),
    known_documents: frozenset[Document] = frozenset(),
) -> ManualReviewDecided:
    """A verifier's decision on the request's current review round. Documents are asked
    for by name, from `known_documents` (the rule set's list); then the request waits for
    them, and goes through the rules again once they are supplied."""
    request = history.request(request_id)
    if request.status is not Status.MANUAL_REVIEW:
        raise DomainError("not_in_review", "this request is not waiting for manual review")
    asked = tuple(sorted(set(documents)))
    if outcome is ReviewOutcome.DOCUMENTS_REQUESTED:
        if not asked:
            raise DomainError("no_documents", "name at least one document to ask for")
        if unknown := [d.value for d in asked if d not in known_documents]:
            raise DomainError(
                "unknown_documents", f"not in the rule set's documents: {', '.join(unknown)}"
            )
    elif asked:
        raise DomainError(
            "documents_not_asked", "documents are named only when asking for documents"
        )
    return ManualReviewDecided(
        request_id=request_id,
        verifier=verifier,
        outcome=outcome,
        documents=asked,
        reason=reason,
        round_id=request.review_round,
    )
