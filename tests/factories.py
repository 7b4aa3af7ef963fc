"""Valid requests to start from; tests change one thing at a time."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.domain.requests import RequestForm

TODAY = date(2026, 11, 29)
# South Jakarta (3174), Tebet (01); born 15 March 1990, male, serial 0001.
ADULT_NIK = "3174011503900001"
# Born 15 August 2009 (55 = 15 + 40: a woman): 17 on 15 August 2026.
YOUNG_WOMAN_NIK = "3174075508090002"
# Central Jakarta (3171), Gambir (01), born 15 March 1990, male: of the province, not the city.
CENTRAL_JAKARTA_NIK = "3171011503900004"
# Bandung (3273), born 2 February 1995, male: from outside the city.
BANDUNG_NIK = "3273010202950003"


def applicant(nik: str = ADULT_NIK, **changes: Any) -> dict[str, Any]:
    from shared.domain.nik import parse_nik

    parsed = parse_nik(nik, TODAY)
    return {
        "nik": nik,
        "full_name": "Siti Aminah",
        "birth_date": parsed.birth_date.isoformat(),
        "sex": parsed.sex.value,
        "address": "Jl. Tebet Raya 1, RT 001/RW 002",
        "email": "siti@example.id",
        "phone": "+6281234567890",
        **changes,
    }


OUTREACH = {
    "kind": "school",
    "name": "SMAN 8 Jakarta",
    "kelurahan": "Bukit Duri",
    "kecamatan_code": "317401",
}


def form(kind: str = "ektp_recording", nik: str = ADULT_NIK, **changes: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"kind": kind}
    documents: list[str] = []
    if kind == "birth_certificate":
        details |= {
            "child_name": "Budi",
            "child_birth_date": "2026-11-01",
            "child_sex": "M",
            "place_of_birth": "RSUD Tebet",
            "family_card_number": "3174010101200001",
            "mother_nik": YOUNG_WOMAN_NIK,
            "father_nik": ADULT_NIK,
            "parents_married": True,
            "birth_letter_reference": "RSUD-TBT/2026/11/0042",
        }
        documents = ["birth_letter", "family_card", "marriage_record"]
    elif kind == "skds":
        details |= {"city_address": "Jl. Kemang Raya 5, Jakarta Selatan", "stay_months": 6}
        documents = ["domicile_statement", "origin_id_card"]
    body: dict[str, Any] = {
        "applicant": applicant(nik),
        "details": details,
        "outreach_point": OUTREACH,
        "device_id": "tablet-07",
        "documents": documents,
    }
    for key, value in changes.items():
        if key in ("details", "applicant") and isinstance(value, dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


def request_form(kind: str = "ektp_recording", nik: str = ADULT_NIK, **changes: Any) -> RequestForm:
    return RequestForm.model_validate(form(kind, nik, **changes))
