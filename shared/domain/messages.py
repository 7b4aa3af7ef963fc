"""What applicants are told, in Bahasa Indonesia and English: status, the reasons in plain
sentences (never codes), and the next step.

The reasons' sentences belong to the rule set that gave them (shared/rulesets/messages/),
so they are versioned with it: a decision is always told in its own rule set's words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.applicant import RequestState, Status
from shared.domain.requests import Document, Language, RequestKind

KIND_NAMES = {
    RequestKind.EKTP_RECORDING: {"id": "perekaman e-KTP", "en": "e-KTP recording"},
    RequestKind.BIRTH_CERTIFICATE: {"id": "akta kelahiran", "en": "birth certificate"},
    RequestKind.SKDS: {
        "id": "SKDS (surat keterangan domisili sementara)",
        "en": "temporary domicile letter (SKDS)",
    },
}

DOCUMENT_NAMES = {
    Document.BIRTH_LETTER: {
        "id": "surat keterangan lahir dari rumah sakit/bidan",
        "en": "birth letter from the hospital or midwife",
    },
    Document.FAMILY_CARD: {
        "id": "Kartu Keluarga (KK) orang tua",
        "en": "the parents' family card (KK)",
    },
    Document.MARRIAGE_RECORD: {
        "id": "buku nikah/akta perkawinan orang tua",
        "en": "the parents' marriage record",
    },
    Document.DOMICILE_STATEMENT: {
        "id": "surat pengantar RT/RW tempat tinggal",
        "en": "a letter from your RT/RW",
    },
    Document.ORIGIN_ID_CARD: {"id": "e-KTP daerah asal", "en": "your e-KTP from your home region"},
}

NEXT_STEPS: dict[Status, dict[str, str]] = {
    Status.SUBMITTED: {
        "id": "Permohonan Anda sedang diperiksa. Kami akan mengabari Anda.",
        "en": "Your request is being checked. We will let you know.",
    },
    Status.DOCUMENTS_REQUESTED: {
        "id": "Permohonan {kind} Anda memerlukan dokumen tambahan. {reasons}",
        "en": "Your {kind} request needs more documents. {reasons}",
    },
    Status.MANUAL_REVIEW: {
        "id": "Permohonan {kind} Anda diperiksa oleh petugas. {reasons}",
        "en": "An officer is reviewing your {kind} request. {reasons}",
    },
    Status.VERIFIED: {
        "id": "Permohonan {kind} Anda disetujui. Datang ke lokasi layanan dengan membawa kode {code}.",
        "en": "Your {kind} request is approved. Come to the service point with code {code}.",
    },
    Status.REJECTED: {
        "id": "Permohonan {kind} Anda tidak dapat diproses. {reasons}",
        "en": "Your {kind} request cannot be processed. {reasons}",
    },
    Status.WITHDRAWN: {
        "id": "Permohonan {kind} Anda telah dibatalkan.",
        "en": "Your {kind} request has been withdrawn.",
    },
}


# Said when a rule set has no sentence for a reason (its messages file is checked by
# tests, so this is a safety net): still a sentence, never a code.
FALLBACK = {
    "id": "Hubungi kantor Suku Dinas Dukcapil Jakarta Selatan (Senin-Jumat, 08.00-15.00) "
    "dengan membawa kode {code} untuk penjelasan.",
    "en": "Contact the South Jakarta Dukcapil office (Monday-Friday, 08:00-15:00) with "
    "code {code} for an explanation.",
}


# A request's own details, said in general where a sentence speaks of many requests at
# once (the supervisors' dashboard): no tracking code, no list of one applicant's documents.
IN_GENERAL = {
    "documents": {"id": "dokumen yang diminta", "en": "the documents asked for"},
    "kind": {"id": "sejenis", "en": "similar"},  # "permohonan {kind}", "a {kind} request"
}


class Reason(BaseModel):
    """One reason for a request's status: a stable code for machines, a sentence for people."""

    code: str = Field(examples=["ektp_under_age"])
    message: str = Field(
        examples=[
            "Perekaman e-KTP adalah untuk warga berusia 17 tahun atau lebih, atau yang sudah "
            "menikah. Datang lagi ke layanan jemput bola atau kantor kelurahan setelah Anda "
            "berulang tahun ke-17, dengan membawa Kartu Keluarga (KK)."
        ]
    )


class ReasonTexts(BaseModel):
    """One rule set's sentences, by reason code and language. `{documents}`, `{kind}`,
    `{code}` and the rule set's own numbers (e.g. `{ektp_min_age}`) are filled in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_set_id: str
    reasons: dict[str, dict[Language, str]]
    values: dict[str, Any] = {}  # the rule set's numbers, set by the loader

    def headline(self, code: str, language: Language, kind: RequestKind | None = None) -> str:
        """The first sentence of a reason (what is wrong, without what to do), with the
        rule set's numbers and the request's details in general: for people who see many
        requests at once. `kind` names the request kind when all of them share one."""
        lang = language.value
        text = self.reasons.get(code, {}).get(language)
        if text is None:
            return FALLBACK[lang].split(" (", 1)[0] + "."
        first = text.split(". ", 1)[0].rstrip(".") + "."
        fill: Mapping[str, Any] = {
            **self.values,
            "kind": KIND_NAMES[kind][lang] if kind else IN_GENERAL["kind"][lang],
            "documents": IN_GENERAL["documents"][lang],
            "code": "",
        }
        return first.format_map(fill)

    def explain(
        self,
        codes: Sequence[str],
        language: Language,
        kind: RequestKind,
        code: str,
        documents: Sequence[Document] = (),
    ) -> list[Reason]:
        lang = language.value
        fill: Mapping[str, Any] = {
            **self.values,
            "kind": KIND_NAMES[kind][lang],
            "code": code,
            "documents": ", ".join(DOCUMENT_NAMES[d][lang] for d in documents),
        }
        said = {reason: texts[language] for reason, texts in self.reasons.items()}
        return [
            Reason(code=reason, message=said.get(reason, FALLBACK[lang]).format_map(fill))
            for reason in codes
        ]


def reason_codes(request: RequestState) -> tuple[str, ...]:
    """Why a request is where it is, as codes (`reasons_after` the decision that put it
    there), told only while it stands there."""
    if request.status in (Status.DOCUMENTS_REQUESTED, Status.REJECTED, Status.MANUAL_REVIEW):
        return request.reasons
    return ()


def next_step(
    status: Status,
    language: Language,
    kind: RequestKind,
    code: str,
    reasons: Sequence[Reason] = (),
) -> str:
    lang = language.value
    return (
        NEXT_STEPS[status][lang]
        .format(
            kind=KIND_NAMES[kind][lang],
            code=code,
            reasons=" ".join(r.message for r in reasons),
        )
        .strip()
    )
