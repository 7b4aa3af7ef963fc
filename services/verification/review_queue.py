"""The manual review queue: requests waiting for a verifier, small and short-lived.

A read model fed from the events topic (insert on ManualReviewRequired, delete when
decided or withdrawn), so it stays small and FerretDB's scans of it stay cheap.
`ReviewQueuePort` is what verification needs of it; `ReviewQueue` keeps it in MongoDB,
`InMemoryReviewQueue` in a dict (tests/contract/review_queue_contract.py holds both to
the same behaviour).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


class QueuedReview(BaseModel):
    tracking_code: str
    request_id: str
    stream_id: str
    kind: str
    reasons: tuple[str, ...]
    since: datetime
    claimed_by: str | None = None


class ReviewQueuePort(Protocol):
    async def add(self, review: QueuedReview) -> None:
        """Queue a review; a review already queued under its code stays as it is."""

    async def remove(self, tracking_code: str) -> None: ...

    async def list(self, limit: int = 100) -> list[QueuedReview]:
        """Oldest first."""

    async def get(self, tracking_code: str) -> QueuedReview | None: ...

    async def claim(self, tracking_code: str, verifier: str) -> QueuedReview | None:
        """Claim if unclaimed (or already ours); None if someone else has it or it is gone."""


class InMemoryReviewQueue:
    """The queue in a dict, for the in-memory service tier."""

    def __init__(self) -> None:
        self.reviews: dict[str, QueuedReview] = {}

    async def add(self, review: QueuedReview) -> None:
        self.reviews.setdefault(review.tracking_code, review)

    async def remove(self, tracking_code: str) -> None:
        self.reviews.pop(tracking_code, None)

    async def list(self, limit: int = 100) -> list[QueuedReview]:
        return sorted(self.reviews.values(), key=lambda r: r.since)[:limit]

    async def get(self, tracking_code: str) -> QueuedReview | None:
        return self.reviews.get(tracking_code)

    async def claim(self, tracking_code: str, verifier: str) -> QueuedReview | None:
        review = self.reviews.get(tracking_code)
        if review is None or review.claimed_by not in (None, verifier):
            return None
        claimed = review.model_copy(update={"claimed_by": verifier})
        self.reviews[tracking_code] = claimed
        return claimed


class ReviewQueue:
    """The queue in a MongoDB collection keyed by tracking code."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._queue = collection

    async def add(self, review: QueuedReview) -> None:
        doc = {"_id": review.tracking_code, **review.model_dump(exclude={"tracking_code"})}
        with contextlib.suppress(DuplicateKeyError):  # redelivered: already queued
            await self._queue.insert_one(doc)

    async def remove(self, tracking_code: str) -> None:
        await self._queue.delete_one({"_id": tracking_code})

    async def list(self, limit: int = 100) -> list[QueuedReview]:
        cursor = self._queue.find({}).sort("since", ASCENDING).limit(limit)
        return [_review(doc) async for doc in cursor]

    async def get(self, tracking_code: str) -> QueuedReview | None:
        doc = await self._queue.find_one({"_id": tracking_code})
        return None if doc is None else _review(doc)

    async def claim(self, tracking_code: str, verifier: str) -> QueuedReview | None:
        """Claim if unclaimed (or already ours); None if someone else has it or it is gone."""
        doc = await self._queue.find_one_and_update(
            {"_id": tracking_code, "claimed_by": {"$in": [None, verifier]}},
            {"$set": {"claimed_by": verifier}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _review(doc)


def _review(doc: dict[str, Any]) -> QueuedReview:
    return QueuedReview(tracking_code=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})
