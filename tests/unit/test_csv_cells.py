"""CSV cells: what a spreadsheet would run is made inert, and read back exactly."""

from __future__ import annotations

import pytest

from shared.formats.csv_cells import inert, restore

FORMULAS = [
    "=1+1",
    "+1",
    "-1+A1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\uff1d1+1",  # FULLWIDTH EQUALS SIGN
    "\uff0b1",  # FULLWIDTH PLUS SIGN
    "\uff0d1",  # FULLWIDTH HYPHEN-MINUS
    "\uff20SUM(A1)",  # FULLWIDTH COMMERCIAL AT
    "\ufe66HYPERLINK(1)",  # SMALL EQUALS SIGN
    "\u22121",  # MINUS SIGN
    "  =1+1",  # after spaces a spreadsheet skips
    "\u3000\uff1d1",  # an ideographic space, then a full-width equals
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_starter_is_made_inert_and_restored(cell: str) -> None:
    assert inert(cell) == "'" + cell
    assert restore(inert(cell)) == cell


@pytest.mark.parametrize("cell", ["SMAN 8 Jakarta", "{}", "tablet07-0001", "", "'quoted", "a=b"])
def test_ordinary_cells_round_trip(cell: str) -> None:
    assert restore(inert(cell)) == cell
    assert inert(cell) == (("'" + cell) if cell.startswith("'") else cell)


def test_numbers_are_left_alone() -> None:
    assert inert(-1) == -1
    assert inert(0.5) == 0.5
