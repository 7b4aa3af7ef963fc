"""One behaviour, every store of the dashboard's rows: subclasses supply `rows` (empty)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.dashboard.model import RequestRow, Rows
from shared.domain.applicant import Status

# Milliseconds only: what MongoDB keeps of a time, so both give back equal rows.
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def row(n: int, minutes: int = 0) -> RequestRow:
    return RequestRow(
        request_id=f"request-{n:04}",
        tracking_code=f"JB-0000{n}-AAAAA",
        kind="ektp_recording",
        point_kind="school",
        point_name="SMAN 8 Jakarta",
        kelurahan="Bukit Duri",
        kecamatan="317401",
        submitted_at=T0 + timedelta(minutes=minutes),
        reasons=["documents_missing"],
        seen=["event-1"],
    )


class DashboardRowsContract:
    async def test_a_row_put_is_read_back_and_replaced(self, rows: Rows) -> None:
        assert await rows.get("request-0001") is None
        await rows.put(row(1))
        assert await rows.get("request-0001") == row(1)
        verified = row(1).model_copy(update={"status": Status.VERIFIED, "seen": ["event-1", "e-2"]})
        await rows.put(verified)
        assert await rows.get("request-0001") == verified

    async def test_a_new_row_is_added_once(self, rows: Rows) -> None:
        assert await rows.add(row(1)) is True
        later = row(1).model_copy(update={"status": Status.VERIFIED})
        assert await rows.add(later) is False  # a repeat changes nothing
        assert await rows.get("request-0001") == row(1)
        together = await asyncio.gather(rows.add(row(2)), rows.add(row(3)), rows.add(row(1)))
        assert list(together) == [True, True, False]

    async def test_rows_submitted_in_a_window(self, rows: Rows) -> None:
        for n, minutes in ((1, 0), (2, 10), (3, 20)):
            await rows.put(row(n, minutes))
        found = await rows.submitted_between(T0 + timedelta(minutes=5), T0 + timedelta(minutes=20))
        assert [r.request_id for r in found] == ["request-0002"]

    async def test_each_stream_remembers_the_version_applied(self, rows: Rows) -> None:
        assert await rows.applied("stream-a") == 0
        await rows.mark_applied("stream-a", 3)
        await rows.mark_applied("stream-b", 1)
        await rows.mark_applied("stream-a", 4)
        assert (await rows.applied("stream-a"), await rows.applied("stream-b")) == (4, 1)
        await rows.flush()
        assert (await rows.applied("stream-a"), await rows.applied("stream-b")) == (4, 1)
