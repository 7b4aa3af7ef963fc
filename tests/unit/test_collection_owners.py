"""Who owns which collection, said once (`shared.collections.OWNERS`) and held true: the
services name only the collections the table gives them, every collection is in it, and
docs/architecture.md shows the same table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shared import collections
from shared.collections import OWNERS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
NAMES = {
    value
    for name, value in vars(collections).items()
    if name.isupper() and isinstance(value, str) and name != "SERVICES"
}
CONSTANTS = {
    name: value
    for name, value in vars(collections).items()
    if isinstance(value, str) and value in NAMES
}


def collections_named_by(service: str) -> set[str]:
    """The collections a service's code names (by the constants of shared.collections)."""
    named = set()
    for path in (ROOT / "services" / service).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "shared.collections":
                named |= {CONSTANTS[alias.name] for alias in node.names if alias.name in CONSTANTS}
    return named


def test_every_collection_has_an_owner_and_a_reason_to_be_shared() -> None:
    assert set(OWNERS) == NAMES
    for name, owner in OWNERS.items():
        assert owner.writers, name
        assert owner.writers | owner.readers <= set(SERVICES), name
        if len(owner.writers) > 1 or owner.readers:
            assert owner.why, f"{name} is shared: say why"


def test_services_name_only_the_collections_the_table_gives_them() -> None:
    for service in SERVICES:
        allowed = {n for n, o in OWNERS.items() if service in o.writers | o.readers}
        assert collections_named_by(service) <= allowed, service


def test_the_architecture_document_shows_the_same_table() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("## Who owns which collection", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([a-z_]+)`", cells[0]) if len(cells) >= 3 else []
        for name in names:
            if name.endswith("_outbox"):  # the log's own outbox (eventstore/mongo.py)
                continue
            rows[name] = (
                set(re.findall(r"[a-z]+", cells[1])),
                set(re.findall(r"[a-z]+", cells[2])),
            )
    assert set(rows) == NAMES
    for name, (writers, readers) in rows.items():
        owner = OWNERS[name]
        everyone = readers == {"every", "service"}
        assert writers == set(owner.writers), name
        assert everyone or readers - {"none"} == set(owner.readers), name
