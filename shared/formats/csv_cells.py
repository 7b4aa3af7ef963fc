"""CSV cells a spreadsheet would run as a formula, made inert (OWASP: CSV injection).

A cell is dangerous when, after the spaces a spreadsheet may skip, it starts with `=`,
`+`, `-`, `@`, a tab, CR or LF, or with a full-width or small form of those characters
(full-width U+FF1D, U+FF0B, U+FF0D, U+FF20; small U+FE66, …: spreadsheets in East Asian locales read
them as the ASCII ones) or the minus sign U+2212. NFKC folds those forms to ASCII. Such a
cell gets an apostrophe in front; so does one that starts with an apostrophe, so that
`restore` gives every cell back exactly (an export must still verify).
"""

from __future__ import annotations

import unicodedata
from typing import Any

STARTERS = frozenset("=+-@\t\r\n\u2212")
ESCAPE = "'"


def dangerous(value: str) -> bool:
    first = unicodedata.normalize("NFKC", value.lstrip(" \u00a0\u3000")[:1])[:1]
    return first in STARTERS


def inert(value: Any) -> Any:
    """The cell as a spreadsheet shows it without running it; other values as they are."""
    if isinstance(value, str) and (value.startswith(ESCAPE) or dangerous(value)):
        return ESCAPE + value
    return value


def restore(cell: str) -> str:
    """The value `inert` was given."""
    return cell[1:] if cell.startswith(ESCAPE) else cell
