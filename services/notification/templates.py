"""What the applicant reads, in their language: from the event that happened."""

from __future__ import annotations

from shared.domain.applicant import TOLD, RequestState, Status, reasons_after, status_after
from shared.domain.events import (
    Decision,
    DocumentsRequested,
    ManualReviewDecided,
    RequestEvent,
)
from shared.domain.messages import KIND_NAMES, next_step
from shared.domain.requests import visible
from shared.rulesets import load_reason_texts

SUBJECTS = {
    "id": "Permohonan {kind} {code}: {what}",
    "en": "Your {kind} request {code}: {what}",
}
WHAT = {
    Status.VERIFIED: {"id": "disetujui", "en": "approved"},
    Status.REJECTED: {"id": "tidak dapat diproses", "en": "cannot be processed"},
    Status.DOCUMENTS_REQUESTED: {"id": "dokumen diperlukan", "en": "documents needed"},
    Status.MANUAL_REVIEW: {"id": "sedang diperiksa petugas", "en": "under review"},
    Status.WITHDRAWN: {"id": "dibatalkan", "en": "withdrawn"},
}
GREETING = {"id": "Yth. {name},", "en": "Dear {name},"}
SIGNATURE = {
    "id": "Suku Dinas Kependudukan dan Catatan Sipil Jakarta Selatan",
    "en": "South Jakarta Population and Civil Registration Office",
}


def render(event: RequestEvent, request: RequestState, short: bool) -> tuple[str, str, str]:
    """(template name, subject, text); `short` for SMS. The reasons are the sentences of
    the rule set that decided (the event's own, or for an officer's decision the one
    that sent the request to review), never their codes."""
    status = status_after(event)
    if status not in TOLD:
        raise ValueError(f"applicants are not told of {event.event_type}")
    applicant = request.form.applicant
    lang = applicant.language.value
    # Asked for by the rules or by the verifier who reviewed it: named either way.
    documents = (
        event.documents if isinstance(event, DocumentsRequested | ManualReviewDecided) else ()
    )
    codes = reasons_after(event) or ()
    rule_set_id = event.rule_set_id if isinstance(event, Decision) else request.rule_set_id
    reasons = (
        load_reason_texts(rule_set_id).explain(
            codes, applicant.language, request.kind, request.tracking_code, documents
        )
        if codes and rule_set_id
        else []
    )
    step = next_step(status, applicant.language, request.kind, request.tracking_code, reasons)
    subject = SUBJECTS[lang].format(
        kind=KIND_NAMES[request.kind][lang], code=request.tracking_code, what=WHAT[status][lang]
    )
    if short:
        text = f"{subject}. {step}"
    else:
        # Refused at input since 2026-12; a name stored before could still break a line.
        name = visible(applicant.full_name)
        text = "\n\n".join([GREETING[lang].format(name=name), step, SIGNATURE[lang]])
    return f"{status.value}.{lang}", subject, text
