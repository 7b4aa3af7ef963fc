"""The manual review queue: requests waiting for a verifier, small and short-lived.

A read model fed from the events topic (insert on ManualReviewRequired; marked when
decided and kept a day, so that a second verifier is told who decided; deleted when
withdrawn), so it stays small and FerretDB's scans of it stay cheap.
`ReviewQueuePort` is what verification needs of it; `ReviewQueue` keeps it in MongoDB,
`InMemoryReviewQueue` in a dict (tests/contract/review_queue_contract.py holds both to
the same behaviour).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
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
    claimed_until: datetime | None = None  # after this, another verifier may take it
    kecamatan_code: str | None = None  # of the outreach point: for filters, not personal
    rule_set_id: str | None = None  # whose sentences tell the reasons
    # Kept a day once decided, so that a second verifier is told who decided what.
    decided_by: str | None = None
    approved: bool | None = None
    decided_at: datetime | None = None


KEEP_DECIDED = timedelta(days=1)


class ReviewQueuePort(Protocol):
    async def add(self, review: QueuedReview) -> None:
        """Queue a review; a review already queued under its code stays as it is."""

    async def remove(self, tracking_code: str) -> None: ...

    async def list(self, limit: int = 100) -> list[QueuedReview]:
        """Undecided reviews, oldest first."""

    async def get(self, tracking_code: str) -> QueuedReview | None: ...

    async def claim(
        self,
        tracking_code: str,
        verifier: str,
        until: datetime | None = None,
        now: datetime | None = None,
    ) -> QueuedReview | None:
        """Claim (until `until`) if undecided and unclaimed, already ours, or its claim ran
        out before `now`; None if someone else holds it, it is decided or gone."""

    async def decided(
        self, tracking_code: str, verifier: str, approved: bool, at: datetime
    ) -> None:
        """Mark it decided (kept a day, then gone); the first mark stays."""


class InMemoryReviewQueue:
    """The queue in a dict, for the in-memory service tier."""

    def __init__(self) -> None:
        self.reviews: dict[str, QueuedReview] = {}

    async def add(self, review: QueuedReview) -> None:
        self.reviews.setdefault(review.tracking_code, review)

    async def remove(self, tracking_code: str) -> None:
        self.reviews.pop(tracking_code, None)

    async def list(self, limit: int = 100) -> list[QueuedReview]:
        waiting = [r for r in self.reviews.values() if r.decided_by is None]
        return sorted(waiting, key=lambda r: r.since)[:limit]

    async def get(self, tracking_code: str) -> QueuedReview | None:
        return self.reviews.get(tracking_code)

    async def claim(
        self,
        tracking_code: str,
        verifier: str,
        until: datetime | None = None,
        now: datetime | None = None,
    ) -> QueuedReview | None:
        review = self.reviews.get(tracking_code)
        if review is None or review.decided_by is not None:
            return None
        lapsed = now is not None and review.claimed_until is not None and review.claimed_until < now
        if review.claimed_by not in (None, verifier) and not lapsed:
            return None
        claimed = review.model_copy(update={"claimed_by": verifier, "claimed_until": until})
        self.reviews[tracking_code] = claimed
        return claimed

    async def decided(
        self, tracking_code: str, verifier: str, approved: bool, at: datetime
    ) -> None:
        review = self.reviews.get(tracking_code)
        if review is not None and review.decided_by is None:
            update = {"decided_by": verifier, "approved": approved, "decided_at": at}
            self.reviews[tracking_code] = review.model_copy(update=update)
        self.reviews = {
            code: r
            for code, r in self.reviews.items()
            if r.decided_at is None or r.decided_at >= at - KEEP_DECIDED
        }


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
        cursor = self._queue.find({"decided_by": None}).sort("since", ASCENDING).limit(limit)
        return [_review(doc) async for doc in cursor]

    async def get(self, tracking_code: str) -> QueuedReview | None:
        doc = await self._queue.find_one({"_id": tracking_code})
        return None if doc is None else _review(doc)

    async def claim(
        self,
        tracking_code: str,
        verifier: str,
        until: datetime | None = None,
        now: datetime | None = None,
    ) -> QueuedReview | None:
        """One findAndModify whose filter is the whole condition: of two verifiers racing,
        one matches and the other finds nothing to update."""
        free: list[dict[str, Any]] = [{"claimed_by": {"$in": [None, verifier]}}]
        if now is not None:
            free.append({"claimed_until": {"$lt": now}})
        doc = await self._queue.find_one_and_update(
            {"_id": tracking_code, "decided_by": None, "$or": free},
            {"$set": {"claimed_by": verifier, "claimed_until": until}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _review(doc)

    async def decided(
        self, tracking_code: str, verifier: str, approved: bool, at: datetime
    ) -> None:
        await self._queue.update_one(
            {"_id": tracking_code, "decided_by": None},
            {"$set": {"decided_by": verifier, "approved": approved, "decided_at": at}},
        )
        await self._queue.delete_many({"decided_at": {"$lt": at - KEEP_DECIDED}})


def _review(doc: dict[str, Any]) -> QueuedReview:
    return QueuedReview(tracking_code=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})
