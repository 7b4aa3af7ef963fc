"""Tracking codes: what an applicant is given to follow a request, e.g. `JB-7K3M9-QX2PD`.

Derived from the request id with a keyed hash, so a device that sends the same request
twice gets the same code, and nobody can guess another applicant's code. The index maps a
code to the applicant's stream (a pseudonym) and the request: insert-only, `_id` look-ups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.eventstore.batching import Batcher

DUPLICATE_KEY = 11000

CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def tracking_code(key: bytes, request_id: str) -> str:
    digest = hmac.new(key, f"tracking:{request_id}".encode(), hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode().translate(CROCKFORD)[:10]
    return f"JB-{letters[:5]}-{letters[5:]}"


@dataclass(frozen=True)
class Tracked:
    stream_id: str
    request_id: str


class TrackingConflictError(ValueError):
    """The code already points at another request."""


class TrackingIndex(Protocol):
    async def add(self, code: str, tracked: Tracked) -> None: ...
    async def find(self, code: str) -> Tracked | None: ...


class InMemoryTrackingIndex:
    def __init__(self) -> None:
        self.codes: dict[str, Tracked] = {}

    async def add(self, code: str, tracked: Tracked) -> None:
        if self.codes.setdefault(code, tracked) != tracked:
            raise TrackingConflictError(code)

    async def find(self, code: str) -> Tracked | None:
        return self.codes.get(code)


class MongoTrackingIndex:
    """Codes in a collection keyed by code; concurrent adds go in one `insert_many`."""

    def __init__(self, collection: AsyncCollection[dict[str, object]]) -> None:
        self._codes = collection
        self._adds: Batcher[tuple[str, Tracked], bool] = Batcher(self._insert, 500)

    async def add(self, code: str, tracked: Tracked) -> None:
        if not await self._adds.submit((code, tracked)) and await self.find(code) != tracked:
            raise TrackingConflictError(code)

    async def _insert(self, adds: list[tuple[str, Tracked]]) -> list[bool]:
        """Insert each code; False where the code was taken (by this batch or before)."""
        docs: list[dict[str, object]] = [
            {"_id": code, "stream_id": tracked.stream_id, "request_id": tracked.request_id}
            for code, tracked in adds
        ]
        try:
            await self._codes.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = {int(e["index"]) for e in errors}
            return [i not in taken for i in range(len(adds))]
        return [True] * len(adds)

    async def find(self, code: str) -> Tracked | None:
        doc = await self._codes.find_one({"_id": code})
        if doc is None:
            return None
        return Tracked(stream_id=str(doc["stream_id"]), request_id=str(doc["request_id"]))
