"""Who read whose history, when and why: every read of an applicant's data by a person
(an auditor's, a verifier's) is recorded, insert-only, in one collection.

`AccessLogPort` is what services need of it; `AccessLog` keeps it in MongoDB (the
`audit_access` collection: written by audit and verification, read by audit, see
docs/architecture.md), `InMemoryAccessLog` in a list (tests/contract/access_log_contract.py
holds both to the same behaviour)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shared.event_schema.base import utc_millis

# What a case reference and a reader's name must look like, wherever a read is recorded
# (API or CLI): visible text, no controls, no whitespace-only or empty values.
CASE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._/:-]{2,99}$"
READER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{1,63}$"


class AccessRecord(BaseModel):
    id: str
    at: datetime
    caller: str
    # history, state, diff, raw, explain, export, lookup, tracking, access_log, review
    action: str
    stream_id: str | None
    case_reference: str


class AccessLogPort(Protocol):
    async def record(self, caller: str, action: str, stream_id: str | None, case: str) -> None:
        """Record one read; never updated, never deleted."""

    async def list(
        self, stream_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[AccessRecord]:
        """Newest first; one applicant's (by stream id) or everyone's, a page at a time."""


def _entry(
    clock: Callable[[], datetime], caller: str, action: str, stream_id: str | None, case: str
) -> AccessRecord:
    return AccessRecord(
        id=str(uuid.uuid4()),
        at=clock(),
        caller=caller,
        action=action,
        stream_id=stream_id,
        case_reference=case,
    )


class AccessLog:
    """The access log in MongoDB."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        clock: Callable[[], datetime] = utc_millis,
    ) -> None:
        self._log = collection
        self._clock = clock

    async def record(self, caller: str, action: str, stream_id: str | None, case: str) -> None:
        entry = _entry(self._clock, caller, action, stream_id, case)
        await self._log.insert_one({"_id": entry.id, **entry.model_dump(exclude={"id"})})

    async def list(
        self, stream_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[AccessRecord]:
        query = {} if stream_id is None else {"stream_id": stream_id}
        cursor = self._log.find(query).sort("at", DESCENDING).skip(offset).limit(limit)
        return [AccessRecord(id=d.pop("_id"), **d) async for d in cursor]


class InMemoryAccessLog:
    """The access log in a list, for the in-memory service tier."""

    def __init__(self, clock: Callable[[], datetime] = utc_millis) -> None:
        self.records: list[AccessRecord] = []  # oldest first
        self._clock = clock

    async def record(self, caller: str, action: str, stream_id: str | None, case: str) -> None:
        self.records.append(_entry(self._clock, caller, action, stream_id, case))

    async def list(
        self, stream_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[AccessRecord]:
        found = [r for r in reversed(self.records) if stream_id in (None, r.stream_id)]
        found.sort(key=lambda r: r.at, reverse=True)  # stable: at one time, the newest first
        return found[offset : offset + limit]
