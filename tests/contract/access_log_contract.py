"""One behaviour, every access log: subclasses supply `access_log` (empty, its clock a
minute on at each read, so that "newest first" is one order in both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.repositories.access_log import AccessLogPort

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class MinuteClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class AccessLogContract:
    async def test_reads_are_listed_newest_first_with_who_what_and_why(
        self, access_log: AccessLogPort
    ) -> None:
        await access_log.record("inspector-1", "history", "stream-a", "INSP-2026-041")
        await access_log.record("verifier-2", "review", "stream-b", "review:JB-1")
        newest, oldest = await access_log.list()
        assert (newest.caller, newest.action, newest.stream_id) == (
            "verifier-2",
            "review",
            "stream-b",
        )
        assert newest.case_reference == "review:JB-1"
        assert (oldest.caller, oldest.case_reference) == ("inspector-1", "INSP-2026-041")
        assert newest.at > oldest.at
        assert newest.id != oldest.id

    async def test_one_applicants_reads_a_page_at_a_time(self, access_log: AccessLogPort) -> None:
        for n in range(5):
            await access_log.record(f"inspector-{n}", "state", "stream-a", "INSP-1")
        await access_log.record("inspector-9", "lookup", None, "INSP-1")  # found nobody
        page = await access_log.list("stream-a", offset=1, limit=2)
        assert [r.caller for r in page] == ["inspector-3", "inspector-2"]
        assert len(await access_log.list("stream-a")) == 5
        assert len(await access_log.list()) == 6
        assert await access_log.list("stream-z") == []
