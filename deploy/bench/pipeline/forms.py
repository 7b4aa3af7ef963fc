"""Distinct, valid requests of the three kinds: one applicant (NIK) per request.

Applicant number `n` is a person whose NIK is unique to `n` and consistent with the birth
date and sex they declare; the fill takes the low numbers, the load the ones after, so no
load request meets an applicant who already has history. Under the rules in force
(shared/rulesets/jaksel-2026.11.json) every request here is verified:
adults from South Jakarta for e-KTP, parents from South Jakarta with all documents and a
child born ten days ago for birth certificates, Bandung residents staying six months at
most for SKDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.domain.calendar import local_date

KINDS = ("ektp_recording", "birth_certificate", "skds")
SOUTH_JAKARTA = tuple(f"3174{n:02d}" for n in range(1, 11))  # kecamatan 317401..317410
BANDUNG = tuple(f"3273{n:02d}" for n in range(1, 31))  # province 32: from outside the city
KELURAHAN = ("Bukit Duri", "Tebet Barat", "Kebayoran Baru", "Cilandak", "Pancoran")
FIRST_BIRTH = date(1960, 1, 1)  # 99,990 people per birth day: 1M applicants fit in 1960
SERIALS = 9999


@dataclass(frozen=True)
class Person:
    nik: str
    birth_date: date
    sex: str  # "M" or "F"
    kecamatan: str


def person(number: int, regions: tuple[str, ...] = SOUTH_JAKARTA) -> Person:
    """Applicant `number`: region, serial and birth day all follow from it (women: day + 40)."""
    region = regions[number % len(regions)]
    rest = number // len(regions)
    serial = rest % SERIALS + 1
    born = FIRST_BIRTH + timedelta(days=rest // SERIALS)
    sex = "F" if serial % 2 == 0 else "M"
    day = born.day + (40 if sex == "F" else 0)
    nik = f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    return Person(nik=nik, birth_date=born, sex=sex, kecamatan=region)


def partner_nik(someone: Person) -> str:
    """A valid NIK of the other sex, born the same day: named as a parent, never applying."""
    born = someone.birth_date
    day = born.day if someone.sex == "F" else born.day + 40
    serial = int(someone.nik[12:]) | 1  # women who apply have even serials
    return f"{someone.kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def jakarta_today() -> date:
    return local_date(datetime.now(UTC))


class Forms:
    """Request `i` of a run: kind `KINDS[i % 3]`, applicant `first_person + i`."""

    def __init__(self, run_id: str, first_person: int = 0, today: date | None = None) -> None:
        self.run_id = run_id
        self.first_person = first_person
        self.today = today or jakarta_today()

    def request_id(self, i: int) -> str:
        return f"bench-{self.run_id}-{i:08d}"

    def email(self, i: int) -> str:
        return f"bench.{self.run_id}.{i}@example.id"

    @staticmethod
    def index_of_email(address: str) -> int | None:
        """The request index an address was made for (None for any other address)."""
        local = address.split("@", 1)[0]
        parts = local.split(".")
        if len(parts) == 3 and parts[0] == "bench" and parts[2].isdigit():
            return int(parts[2])
        return None

    def kind(self, i: int) -> str:
        return KINDS[i % len(KINDS)]

    def body(self, i: int) -> dict[str, Any]:
        """The JSON body of request `i` (POST /v1/requests)."""
        return form_body(self.kind(i), self.first_person + i, self.today, self.email(i)) | {
            "request_id": self.request_id(i)
        }


def form_body(kind: str, number: int, today: date, email: str) -> dict[str, Any]:
    """A request form (RequestForm's JSON) of `kind` for applicant `number`."""
    applicant = person(number, BANDUNG if kind == "skds" else SOUTH_JAKARTA)
    details: dict[str, Any] = {"kind": kind}
    documents: list[str] = []
    if kind == "birth_certificate":
        mother = applicant.nik if applicant.sex == "F" else partner_nik(applicant)
        details |= {
            "child_name": f"Bayi {number}",
            "child_birth_date": (today - timedelta(days=10)).isoformat(),
            "child_sex": "F" if number % 3 else "M",
            "place_of_birth": "RSUD Tebet",
            "family_card_number": f"{applicant.kecamatan}{number % 10**10:010d}",
            "mother_nik": mother,
            "father_nik": applicant.nik if applicant.sex == "M" else partner_nik(applicant),
            "parents_married": True,
            "birth_letter_reference": f"RSUD-TBT/{today.year}/{number:07d}",
        }
        documents = ["birth_letter", "family_card", "marriage_record"]
    elif kind == "skds":
        details |= {
            "city_address": f"Jl. Kemang Raya {number % 200 + 1}, Jakarta Selatan",
            "stay_months": number % 12 + 1,
        }
        documents = ["domicile_statement", "origin_id_card"]
    where = SOUTH_JAKARTA[number % len(SOUTH_JAKARTA)]
    return {
        "applicant": {
            "nik": applicant.nik,
            "full_name": "Siti Aminah" if applicant.sex == "F" else "Budi Santoso",
            "birth_date": applicant.birth_date.isoformat(),
            "sex": applicant.sex,
            "address": f"Jl. Tebet Raya {number % 300 + 1}, RT 001/RW 002",
            "language": "en" if number % 4 == 3 else "id",
            "email": email,
            "phone": f"+62812{number % 10**8:08d}",
        },
        "details": details,
        "outreach_point": {
            "kind": "kelurahan_office",
            "name": f"Kantor Kelurahan {KELURAHAN[number % len(KELURAHAN)]}",
            "kelurahan": KELURAHAN[number % len(KELURAHAN)],
            "kecamatan_code": where,
        },
        "device_id": f"tablet-{number % 50:02d}",
        "documents": documents,
    }
