"""NIK (Nomor Induk Kependudukan): `PP KK CC DDMMYY SSSS`, 16 digits.

PP province, KK regency/city, CC kecamatan; DDMMYY the birth date with 40 added to the
day for women; SSSS a serial from 0001. KK (family card) numbers share the region prefix.

Errors name what is wrong, never the number itself: a NIK is personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

DIGITS16 = re.compile(r"[0-9]{16}")


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class NikError(ValueError):
    """A NIK that cannot be one. `code` is stable for machines; the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Nik:
    value: str
    kecamatan_code: str  # PPKKCC
    birth_date: date
    sex: Sex
    serial: int

    @property
    def province_code(self) -> str:
        return self.kecamatan_code[:2]

    @property
    def regency_code(self) -> str:  # PPKK: the regency or city
        return self.kecamatan_code[:4]

    def __repr__(self) -> str:  # never print the number
        return f"Nik(kecamatan={self.kecamatan_code}, …)"


def parse_nik(value: str, today: date) -> Nik:
    """Read a NIK's structure; `today` decides the century of a two-digit birth year."""
    if not DIGITS16.fullmatch(value):
        raise NikError("nik_format", "NIK must be exactly 16 digits")
    day, month, year2 = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = Sex.FEMALE if day > 40 else Sex.MALE
    if sex is Sex.FEMALE:
        day -= 40
    born = _birth_date(day, month, year2, today)
    serial = int(value[12:])
    if serial == 0:
        raise NikError("nik_serial", "NIK serial (last four digits) must start at 0001")
    return Nik(value=value, kecamatan_code=value[:6], birth_date=born, sex=sex, serial=serial)


def _birth_date(day: int, month: int, year2: int, today: date) -> date:
    """The latest valid date with these digits that is not after `today`."""
    for century in (2000, 1900):
        try:
            born = date(century + year2, month, day)
        except ValueError:
            continue
        if born <= today:
            return born
    raise NikError("nik_birth_date", "NIK does not encode a valid birth date")


def age_on(born: date, day: date) -> int:
    """Whole years between `born` and `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
