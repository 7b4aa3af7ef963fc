"""One behaviour, every review queue: subclasses supply a `queue` fixture (an empty queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.verification.review_queue import Decided, QueuedReview, ReviewQueuePort
from shared.domain.events import ReviewOutcome

APPROVED, REJECTED = ReviewOutcome.APPROVED, ReviewOutcome.REJECTED

# Milliseconds only: what MongoDB keeps of a time, so both queues give back equal reviews.
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def review(n: int, minutes: int = 0, round_id: str | None = None) -> QueuedReview:
    return QueuedReview(
        round_id=round_id,
        tracking_code=f"JB-0000{n}-AAAAA",
        request_id=f"request-{n:04}",
        stream_id=f"stream-{n}",
        kind="ektp_recording",
        reasons=("nik_birth_or_sex_mismatch",),
        since=T0 + timedelta(minutes=minutes),
    )


class ReviewQueueContract:
    async def test_added_reviews_are_listed_oldest_first(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1, minutes=5))
        await queue.add(review(2, minutes=1))
        await queue.add(review(3, minutes=3))
        assert [r.tracking_code for r in await queue.list()] == [
            review(2).tracking_code,
            review(3).tracking_code,
            review(1).tracking_code,
        ]
        assert [r.request_id for r in await queue.list(limit=2)] == ["request-0002", "request-0003"]

    async def test_a_review_reads_back_as_it_was_added(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1))
        assert await queue.get(review(1).tracking_code) == review(1)
        assert await queue.get("JB-NOONE-XXXXX") is None
        assert await queue.list() == [review(1)]

    async def test_adding_again_keeps_the_first_and_its_claim(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1))
        await queue.claim(review(1).tracking_code, "verifier-1")
        await queue.add(review(1, minutes=9))  # the event redelivered
        [kept] = await queue.list()
        assert (kept.since, kept.claimed_by) == (T0, "verifier-1")

    async def test_removed_reviews_are_gone(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1))
        await queue.add(review(2))
        await queue.remove(review(1).tracking_code)
        await queue.remove(review(1).tracking_code)  # twice: decided, then withdrawn
        await queue.remove("JB-NOONE-XXXXX")
        assert [r.tracking_code for r in await queue.list()] == [review(2).tracking_code]
        assert await queue.get(review(1).tracking_code) is None

    async def test_a_claim_is_one_verifiers(self, queue: ReviewQueuePort) -> None:
        code = review(1).tracking_code
        await queue.add(review(1))
        claimed = await queue.claim(code, "verifier-1")
        assert claimed is not None
        assert claimed.claimed_by == "verifier-1"
        assert await queue.claim(code, "verifier-2") is None
        again = await queue.claim(code, "verifier-1")  # claiming one's own again is fine
        assert again is not None
        assert again.claimed_by == "verifier-1"
        stored = await queue.get(code)
        assert stored is not None
        assert stored.claimed_by == "verifier-1"

    async def test_nothing_to_claim_once_removed(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1))
        await queue.remove(review(1).tracking_code)
        assert await queue.claim(review(1).tracking_code, "verifier-1") is None
        assert await queue.claim("JB-NOONE-XXXXX", "verifier-1") is None

    async def test_a_lapsed_claim_may_be_taken_over(self, queue: ReviewQueuePort) -> None:
        code = review(1).tracking_code
        await queue.add(review(1))
        until = T0 + timedelta(minutes=15)
        first = await queue.claim(code, "verifier-1", until, T0)
        assert first is not None
        assert first.claimed_until == until
        assert await queue.claim(code, "verifier-2", until, T0 + timedelta(minutes=14)) is None
        later = T0 + timedelta(minutes=16)
        taken = await queue.claim(code, "verifier-2", later + timedelta(minutes=15), later)
        assert taken is not None
        assert taken.claimed_by == "verifier-2"
        assert await queue.claim(code, "verifier-1", later, later) is None  # it is 2's now

    async def test_a_decided_review_leaves_the_list_but_says_who(
        self, queue: ReviewQueuePort
    ) -> None:
        code = review(1).tracking_code
        await queue.add(review(1))
        await queue.add(review(2))
        await queue.claim(code, "verifier-1")
        await queue.decided(code, Decided(None, "verifier-1", APPROVED, T0))
        await queue.decided(
            code, Decided(None, "verifier-2", REJECTED, T0)
        )  # a late mark changes nothing
        assert [r.tracking_code for r in await queue.list()] == [review(2).tracking_code]
        kept = await queue.get(code)
        assert kept is not None
        assert (kept.decided_by, kept.outcome, kept.approved) == ("verifier-1", APPROVED, True)
        assert kept.decided_at == T0
        assert await queue.claim(code, "verifier-1") is None  # nothing left to claim

    async def test_decided_reviews_go_after_a_day(self, queue: ReviewQueuePort) -> None:
        await queue.add(review(1))
        await queue.add(review(2))
        await queue.decided(review(1).tracking_code, Decided(None, "verifier-1", APPROVED, T0))
        later = Decided(None, "verifier-1", REJECTED, T0 + timedelta(days=2))
        await queue.decided(review(2).tracking_code, later)
        assert await queue.get(review(1).tracking_code) is None
        assert await queue.get(review(2).tracking_code) is not None

    async def test_a_new_round_replaces_a_decided_one(self, queue: ReviewQueuePort) -> None:
        """Back in review after documents: the code's entry is the new round, undecided;
        a late mark of the first round's decision leaves it alone."""
        code = review(1).tracking_code
        await queue.add(review(1, round_id="round-1"))
        await queue.claim(code, "verifier-1")
        asked = Decided("round-1", "verifier-1", ReviewOutcome.DOCUMENTS_REQUESTED, T0)
        await queue.decided(code, asked)
        assert await queue.list() == []
        await queue.add(review(1, minutes=60, round_id="round-2"))
        await queue.decided(code, Decided("round-1", "verifier-2", REJECTED, T0))  # late
        assert await queue.list() == [review(1, minutes=60, round_id="round-2")]
        await queue.add(review(1, minutes=90, round_id="round-2"))  # redelivered: stays
        assert await queue.get(code) == review(1, minutes=60, round_id="round-2")
        await queue.decided(code, Decided("round-2", "verifier-2", APPROVED, T0))
        decided = await queue.get(code)
        assert decided is not None
        assert (decided.round_id, decided.decided_by) == ("round-2", "verifier-2")

    async def test_an_undecided_entry_from_before_rounds_keeps_its_claim(
        self, queue: ReviewQueuePort
    ) -> None:
        code = review(1).tracking_code
        await queue.add(review(1))  # queued before rounds were kept: no round id
        await queue.claim(code, "verifier-1")
        await queue.add(review(1, minutes=5, round_id="round-1"))  # its event redelivered
        [kept] = await queue.list()
        assert (kept.round_id, kept.claimed_by, kept.since) == (None, "verifier-1", T0)
