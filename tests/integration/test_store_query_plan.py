"""The store's hot-path reads use the `_id` index on the server, not a collection scan.

Deterministic, not timed: the server is asked for its plan (`explain`). On FerretDB/SQLite
the plan is SQLite's own `EXPLAIN QUERY PLAN` for the query FerretDB generated; unpatched
FerretDB 1.24.2 answers `SCAN` for an `_id` look-up (docs/adr/0006-ferretdb-id-index-patch.md).
On MongoDB the winning plan must not be a collection scan.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import Document, event_key
from shared.eventstore.store import EventStore
from tests.contract.event_store_contract import event


def _plan_text(explained: dict[str, Any]) -> str:
    return repr(explained.get("queryPlanner", explained))


def _is_ferretdb(explained: dict[str, Any]) -> bool:
    return "filterPushdown" in explained


def assert_uses_id_index(explained: dict[str, Any]) -> None:
    plan = _plan_text(explained)
    if _is_ferretdb(explained):
        assert explained["filterPushdown"] is True, plan
        assert "USING INDEX" in plan, plan
        assert "__id_" in plan, plan  # FerretDB names the `_id` index <table>__id_
        assert "SCAN" not in plan, plan
    else:
        assert "COLLSCAN" not in plan, plan


def assert_scans(explained: dict[str, Any]) -> None:
    """The control: the same check reports a scan where there is one."""
    plan = _plan_text(explained)
    if _is_ferretdb(explained):
        assert explained["filterPushdown"] is False or "SCAN" in plan, plan
    else:
        assert "COLLSCAN" in plan, plan


@pytest.fixture
async def filled(mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys) -> MongoRecorder:
    recorder = MongoRecorder(mongo_db)
    await recorder.initialize()
    store = EventStore(recorder, chain_keys)
    for n in range(20):
        await store.append(f"s-{n}", [event(n * 2), event(n * 2 + 1)], expected_version=0)
    return recorder


async def explain_find(db: AsyncDatabase[Document], filter_: Document) -> dict[str, Any]:
    return await db.command("explain", {"find": "events", "filter": filter_})


async def test_point_read_by_id_uses_the_id_index(
    mongo_db: AsyncDatabase[Document], filled: MongoRecorder
) -> None:
    assert_uses_id_index(await explain_find(mongo_db, {"_id": event_key("s-3", 2)}))


async def test_batch_read_by_id_in_list_uses_the_id_index(
    mongo_db: AsyncDatabase[Document], filled: MongoRecorder
) -> None:
    keys = [event_key(f"s-{n}", 1) for n in range(10)]
    assert_uses_id_index(await explain_find(mongo_db, {"_id": {"$in": keys}}))
    found = await filled.events.find({"_id": {"$in": keys}}).to_list(None)
    assert sorted(d["_id"] for d in found) == sorted(keys)


async def test_a_filter_on_another_field_is_reported_as_a_scan(
    mongo_db: AsyncDatabase[Document], filled: MongoRecorder
) -> None:
    assert_scans(await explain_find(mongo_db, {"payload.n": 3}))
