"""NIK structure: region, birth date (day + 40 for women), serial; errors reveal nothing."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.nik import NikError, Sex, age_on, parse_nik

TODAY = date(2026, 11, 29)


def test_a_man_born_in_1990() -> None:
    nik = parse_nik("3174011503900001", TODAY)
    assert (nik.kecamatan_code, nik.regency_code, nik.province_code) == ("317401", "3174", "31")
    assert (nik.birth_date, nik.sex, nik.serial) == (date(1990, 3, 15), Sex.MALE, 1)


def test_a_woman_has_forty_added_to_her_birth_day() -> None:
    nik = parse_nik("3174075508090002", TODAY)
    assert (nik.birth_date, nik.sex) == (date(2009, 8, 15), Sex.FEMALE)


def test_the_century_is_the_latest_one_not_in_the_future() -> None:
    assert parse_nik("3174011511260001", TODAY).birth_date == date(2026, 11, 15)
    assert parse_nik("3174011512260001", TODAY).birth_date == date(1926, 12, 15)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("317401150390000", "nik_format"),  # 15 digits
        ("31740115039000011", "nik_format"),
        ("3174O11503900001", "nik_format"),  # letter O
        (" 3174011503900001", "nik_format"),
        ("3174013202900001", "nik_birth_date"),  # 32 February
        ("3174017202900001", "nik_birth_date"),  # 72 - 40 = 32
        ("3174011513900001", "nik_birth_date"),  # month 13
        ("3174011503900000", "nik_serial"),
    ],
)
def test_impossible_numbers_are_refused_without_echoing_them(value: str, code: str) -> None:
    with pytest.raises(NikError) as error:
        parse_nik(value, TODAY)
    assert error.value.code == code
    assert value.strip() not in str(error.value)


def test_repr_does_not_print_the_number() -> None:
    assert "3174011503900001" not in repr(parse_nik("3174011503900001", TODAY))


def test_age_counts_whole_years() -> None:
    assert age_on(date(2009, 11, 30), TODAY) == 16
    assert age_on(date(2009, 11, 29), TODAY) == 17
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16
