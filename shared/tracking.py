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
from pymongo.errors import DuplicateKeyError

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
    def __init__(self, collection: AsyncCollection[dict[str, object]]) -> None:
        self._codes = collection

    async def add(self, code: str, tracked: Tracked) -> None:
        try:
            await self._codes.insert_one(
                {"_id": code, "stream_id": tracked.stream_id, "request_id": tracked.request_id}
            )
        except DuplicateKeyError:
            if await self.find(code) != tracked:
                raise TrackingConflictError(code) from None

    async def find(self, code: str) -> Tracked | None:
        doc = await self._codes.find_one({"_id": code})
        if doc is None:
            return None
        return Tracked(stream_id=str(doc["stream_id"]), request_id=str(doc["request_id"]))
