"""The manual review queue: requests waiting for a verifier, small and short-lived.

A read model fed from the events topic (insert on ManualReviewRequired; marked when
decided and kept a day, so that a second verifier is told who decided; deleted when
withdrawn), so it stays small and FerretDB's scans of it stay cheap. An entry is one
review round (`round_id`, the ManualReviewRequired that opened it): a request back in
review after documents replaces its decided entry with the new round.
`ReviewQueuePort` is what verification needs of it; `ReviewQueue` keeps it in MongoDB,
`InMemoryReviewQueue` in a dict (tests/contract/review_queue_contract.py holds both to
the same behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.domain.events import ReviewOutcome


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
    round_id: str | None = None  # the ManualReviewRequired that opened this round
    # Kept a day once decided, so that a second verifier is told who decided what.
    decided_by: str | None = None
    outcome: ReviewOutcome | None = None
    approved: bool | None = None  # outcome is approved (kept for older clients)
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Decided:
    """A round's decision, as the queue marks it."""

    round_id: str | None
    verifier: str
    outcome: ReviewOutcome
    at: datetime

    def marks(self) -> dict[str, Any]:
        return {
            "decided_by": self.verifier,
            "outcome": self.outcome.value,
            "approved": self.outcome is ReviewOutcome.APPROVED,
            "decided_at": self.at,
        }


KEEP_DECIDED = timedelta(days=1)


class ReviewQueuePort(Protocol):
    async def add(self, review: QueuedReview) -> None:
        """Queue a review round; one already queued under its code stays as it is, unless
        it is a decided round of its own: then the new round takes its place. (An undecided
        entry queued before rounds were kept, `round_id` None, keeps its claim.)"""

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

    async def decided(self, tracking_code: str, decision: Decided) -> None:
        """Mark its round decided (kept a day, then gone); the first mark stays, and a
        decision of another round marks nothing."""


class InMemoryReviewQueue:
    """The queue in a dict, for the in-memory service tier."""

    def __init__(self) -> None:
        self.reviews: dict[str, QueuedReview] = {}

    async def add(self, review: QueuedReview) -> None:
        queued = self.reviews.get(review.tracking_code)
        if queued is None or (queued.decided_by is not None and queued.round_id != review.round_id):
            self.reviews[review.tracking_code] = review

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

    async def decided(self, tracking_code: str, decision: Decided) -> None:
        review = self.reviews.get(tracking_code)
        if (
            review is not None
            and review.decided_by is None
            and review.round_id == decision.round_id
        ):
            marked = QueuedReview.model_validate({**review.model_dump(), **decision.marks()})
            self.reviews[tracking_code] = marked
        self.reviews = {
            code: r
            for code, r in self.reviews.items()
            if r.decided_at is None or r.decided_at >= decision.at - KEEP_DECIDED
        }


class ReviewQueue:
    """The queue in a MongoDB collection keyed by tracking code."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._queue = collection

    async def add(self, review: QueuedReview) -> None:
        doc = {"_id": review.tracking_code, **review.model_dump(exclude={"tracking_code"})}
        try:
            await self._queue.insert_one(doc)
        except DuplicateKeyError:  # redelivered (same round: stays), or a new round
            earlier = {"$ne": review.round_id}
            await self._queue.replace_one(
                {"_id": review.tracking_code, "round_id": earlier, "decided_by": {"$ne": None}},
                doc,
            )

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

    async def decided(self, tracking_code: str, decision: Decided) -> None:
        await self._queue.update_one(
            {"_id": tracking_code, "decided_by": None, "round_id": decision.round_id},
            {"$set": decision.marks()},
        )
        await self._queue.delete_many({"decided_at": {"$lt": decision.at - KEEP_DECIDED}})


def _review(doc: dict[str, Any]) -> QueuedReview:
    return QueuedReview(tracking_code=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})
