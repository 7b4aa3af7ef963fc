"""A budget of store commands per request, and no hot-path query that scans.

Each command to FerretDB costs about a millisecond of server CPU whatever it carries, so
the number of commands per request is what bounds throughput (docs/adr/0003). Every part
of the pipeline gets a database client that records what it sends (PyMongo command
monitoring); requests go from submit to email on the real stack; the test fails above
the budget, or if any query filters on anything but `_id` outside the small collections
that are meant to be read whole.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from shared.eventstore.recorder import Document
from shared.settings import ServiceSettings
from tests.e2e.pipeline import pipeline
from tests.factories import form
from tests.waiting import eventually

# A collection a query may read whole: the outbox holds only what is not yet published.
SMALL_COLLECTIONS = {"events_outbox"}
FILTERED_COMMANDS = {"find": "filter", "findAndModify": "query", "count": "query"}
WRITES_WITH_FILTERS = {"update": "updates", "delete": "deletes"}
# Commands of each part for one request sent on its own (nothing to share a command with),
# and per request when requests arrive together. The relay's polls of the outbox are not
# counted: they cost by the clock (JEMPUT_RELAY_IDLE_SECONDS), not by the request.
# Each includes one command for the applicant's data keys (docs/adr/0009-personal-data.md):
# intake creates them (one insert), verification and notification read them (one find each).
BUDGET_ALONE = {"intake": 6, "verification": 4, "notification": 8, "relay": 0}
BUDGET_TOGETHER = 3.0  # every part together, per request, with 40 requests at once
SETUP = {"createIndexes", "listIndexes", "ping", "endSessions", "hello", "isMaster"}


def _by_id_only(filter_: Any) -> bool:
    if not isinstance(filter_, dict) or set(filter_) != {"_id"}:
        return False
    value = filter_["_id"]
    if isinstance(value, dict):
        return set(value) == {"$in"} and all(isinstance(v, str) for v in value["$in"])
    return isinstance(value, str)


@dataclass
class Recorder(CommandListener):
    """Commands one part sent, by name, and those whose filter would scan a collection."""

    commands: Counter[str] = field(default_factory=Counter)
    scans: list[str] = field(default_factory=list)
    outbox_polls: int = 0

    def started(self, event: CommandStartedEvent) -> None:
        name, command = event.command_name, event.command
        collection = str(command.get(name, ""))
        if name in SETUP:
            return
        if name == "find" and collection == "events_outbox":
            self.outbox_polls += 1
            return
        self.commands[name] += 1
        filters = []
        if name in FILTERED_COMMANDS:
            filters = [command.get(FILTERED_COMMANDS[name], {})]
        elif name in WRITES_WITH_FILTERS:
            filters = [op.get("q", {}) for op in command.get(WRITES_WITH_FILTERS[name], [])]
        if collection in SMALL_COLLECTIONS:
            return
        self.scans.extend(f"{name} {collection} {f}" for f in filters if not _by_id_only(f))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass

    def total(self) -> int:
        return sum(self.commands.values())


class Recorders:
    def __init__(self) -> None:
        self.parts: dict[str, Recorder] = {}

    def client(self, name: str, settings: ServiceSettings) -> AsyncMongoClient[dict[str, Any]]:
        recorder = self.parts.setdefault(name, Recorder())
        return AsyncMongoClient(
            settings.mongo_url,
            tz_aware=True,
            serverSelectionTimeoutMS=10_000,
            event_listeners=[recorder],
        )

    def reset(self) -> None:
        for recorder in self.parts.values():
            recorder.commands.clear()
            recorder.outbox_polls = 0

    def table(self) -> str:
        return "; ".join(f"{n}: {dict(r.commands)}" for n, r in sorted(self.parts.items()))


async def _settled(db: AsyncDatabase[Document], emails: int) -> bool:
    """Every email's delivery recorded and published (the outbox empty)."""
    delivered = await db["events"].count_documents({"event_type": "NotificationDelivered"})
    return delivered == emails and await db["events_outbox"].count_documents({}) == 0


async def _send(jb: Any, count: int, first: int) -> list[str]:
    async def one(n: int) -> str:
        # Distinct adults of Tebet, born 15 March 1990: serials tell them apart.
        body = form(
            nik=f"3174011503{90:02d}{first + n + 1:04d}", request_id=f"budget-{first + n:06d}"
        )
        response = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_code"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


@pytest.fixture
def recorders() -> Recorders:
    return Recorders()


async def test_store_commands_per_request_stay_within_budget(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, recorders: Recorders
) -> None:
    async with pipeline(mongo_db.name, clients=recorders.client) as jb:
        # Warm up (indexes created, consumers joined), then one request on its own.
        await _send(jb, 1, 0)
        await eventually(lambda: _settled(mongo_db, 1), what="the warm-up request settled")
        recorders.reset()
        await _send(jb, 1, 1)
        await eventually(lambda: _settled(mongo_db, 2), what="one request settled")
        alone = {name: r.total() for name, r in recorders.parts.items()}
        print(f"\ncommands for one request alone: {alone} ({recorders.table()})")
        for name, budget in BUDGET_ALONE.items():
            assert alone[name] <= budget, f"{name}: {recorders.table()}"

        recorders.reset()
        together = 40
        await _send(jb, together, 100)
        await eventually(
            lambda: _settled(mongo_db, 2 + together), what="the requests settled", within=60
        )
        assert len(jb.mailbox.messages) == 2 + together
        per_request = sum(r.total() for r in recorders.parts.values()) / together
        print(f"commands per request, {together} at once: {per_request:.2f} ({recorders.table()})")
        assert per_request <= BUDGET_TOGETHER, recorders.table()
    scans = [scan for r in recorders.parts.values() for scan in r.scans]
    assert scans == [], scans
