"""What the applicant reads, in their language: from the event that happened."""

from __future__ import annotations

from shared.domain.applicant import RequestState, Status
from shared.domain.events import (
    DocumentsRequested,
    ManualReviewDecided,
    ManualReviewRequired,
    RequestEvent,
    RequestRejected,
    RequestVerified,
    RequestWithdrawn,
)
from shared.domain.messages import KIND_NAMES, next_step

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


def status_told_by(event: RequestEvent) -> Status | None:
    """The status an event announces; None for events applicants are not told about."""
    match event:
        case RequestVerified():
            return Status.VERIFIED
        case RequestRejected():
            return Status.REJECTED
        case DocumentsRequested():
            return Status.DOCUMENTS_REQUESTED
        case ManualReviewRequired():
            return Status.MANUAL_REVIEW
        case ManualReviewDecided(approved=approved):
            return Status.VERIFIED if approved else Status.REJECTED
        case RequestWithdrawn():
            return Status.WITHDRAWN
    return None


def render(event: RequestEvent, request: RequestState, short: bool) -> tuple[str, str, str]:
    """(template name, subject, text); `short` for SMS."""
    status = status_told_by(event)
    assert status is not None
    applicant = request.form.applicant
    lang = applicant.language.value
    documents = event.documents if isinstance(event, DocumentsRequested) else ()
    reasons = getattr(event, "reasons", ()) or (
        ("manual_review_rejected",) if isinstance(event, ManualReviewDecided) else ()
    )
    step = next_step(
        status, applicant.language, request.kind, request.tracking_code, documents, reasons
    )
    subject = SUBJECTS[lang].format(
        kind=KIND_NAMES[request.kind][lang], code=request.tracking_code, what=WHAT[status][lang]
    )
    if short:
        text = f"{subject}. {step}"
    else:
        text = "\n\n".join([GREETING[lang].format(name=applicant.full_name), step, SIGNATURE[lang]])
    return f"{status.value}.{lang}", subject, text
