"""Who read whose history, when and why: every read of an applicant's data by a person
(an auditor's, a verifier's) is recorded, insert-only, in one collection."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

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


class AccessLog:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._log = collection

    async def record(self, caller: str, action: str, stream_id: str | None, case: str) -> None:
        entry = AccessRecord(
            id=str(uuid.uuid4()),
            at=utc_millis(),
            caller=caller,
            action=action,
            stream_id=stream_id,
            case_reference=case,
        )
        await self._log.insert_one({"_id": entry.id, **entry.model_dump(exclude={"id"})})

    async def list(
        self, stream_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[AccessRecord]:
        query = {} if stream_id is None else {"stream_id": stream_id}
        cursor = self._log.find(query).sort("at", DESCENDING).skip(offset).limit(limit)
        return [AccessRecord(id=d.pop("_id"), **d) async for d in cursor]
