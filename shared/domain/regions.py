"""Administrative regions as NIK prefixes encode them: province, regency/city, kecamatan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Kecamatan:
    code: str  # six digits: PPKKCC
    name: str
    regency: str  # e.g. "Kota Jakarta Selatan"
    province: str

    @property
    def regency_code(self) -> str:
        return self.code[:4]


class RegionTable(Protocol):
    """The official kecamatan table, with the version of the data it came from."""

    version: str

    def kecamatan(self, code: str) -> Kecamatan | None: ...
