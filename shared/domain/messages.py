"""What applicants are told, in Bahasa Indonesia and English: status and the next step."""

from __future__ import annotations

from shared.domain.applicant import Status
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
        "id": "Bawa dokumen berikut ke petugas layanan jemput bola atau kantor kelurahan: {documents}.",
        "en": "Bring these documents to the outreach officers or the kelurahan office: {documents}.",
    },
    Status.MANUAL_REVIEW: {
        "id": "Permohonan Anda diperiksa oleh petugas. Tidak ada yang perlu Anda lakukan sekarang.",
        "en": "An officer is reviewing your request. There is nothing you need to do now.",
    },
    Status.VERIFIED: {
        "id": "Permohonan {kind} Anda disetujui. Datang ke lokasi layanan dengan membawa kode {code}.",
        "en": "Your {kind} request is approved. Come to the service point with code {code}.",
    },
    Status.REJECTED: {
        "id": "Permohonan {kind} Anda tidak dapat diproses ({reasons}). Hubungi kantor Dukcapil untuk bantuan.",
        "en": "Your {kind} request cannot be processed ({reasons}). Contact the Dukcapil office for help.",
    },
    Status.WITHDRAWN: {
        "id": "Permohonan {kind} Anda telah dibatalkan.",
        "en": "Your {kind} request has been withdrawn.",
    },
}


def next_step(
    status: Status,
    language: Language,
    kind: RequestKind,
    code: str,
    documents: tuple[Document, ...] = (),
    reasons: tuple[str, ...] = (),
) -> str:
    lang = language.value
    return NEXT_STEPS[status][lang].format(
        kind=KIND_NAMES[kind][lang],
        code=code,
        documents=", ".join(DOCUMENT_NAMES[d][lang] for d in documents),
        reasons=", ".join(reasons),
    )
