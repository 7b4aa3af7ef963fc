"""The supervisors' dashboard over the in-memory tier: its rows follow the events topic,
once per event, rebuild from the log the same, and show counts, never a person."""

from __future__ import annotations

import io
import json
from csv import DictReader
from datetime import UTC, datetime
from typing import Any

import pytest

from services.dashboard.model import InMemoryRows, take
from services.dashboard.rebuild import replay
from services.dashboard.settings import DashboardSettings
from shared.domain.calendar import local_date
from shared.event_schema import RecordedEvent
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.unit.service_tier.requests import birth, submit
from tests.unit.service_tier.tier import ServiceTier, as_

SUPERVISOR = as_("supervisor-1")


async def summary(tier: ServiceTier, **params: str) -> dict[str, Any]:
    response = await tier.dashboard.get("/v1/dashboard/summary", params=params, headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_counts_follow_requests_per_kecamatan_and_point(tier: ServiceTier) -> None:
    today = local_date(datetime.now(UTC)).isoformat()  # the office's day (WIB), not the host's
    await submit(tier, form())  # verified
    await submit(tier, form("skds", ADULT_NIK))  # rejected: a Jakartan needs no SKDS
    await submit(tier, {**birth(), "documents": []}, settle=True)  # documents asked
    view = await summary(tier, since=today, until=today)
    [kecamatan] = view["kecamatan"]
    assert (kecamatan["kecamatan"], kecamatan["kecamatan_name"]) == ("317401", "Tebet")
    assert (kecamatan["total"], kecamatan["today"]) == (3, 3)
    assert kecamatan["by_status"] == {"verified": 1, "rejected": 1, "documents_requested": 1}
    reasons = {r["code"]: r for r in kecamatan["top_reasons"]}
    assert {code: r["count"] for code, r in reasons.items()} == {
        "skds_resident_of_province": 1,
        "documents_missing": 1,
    }
    # Told in the rule set's words, both languages, never as a code or one person's details.
    assert reasons["skds_resident_of_province"]["message"] == {
        "id": "SKDS hanya untuk pendatang yang KTP-nya dari luar Provinsi DKI Jakarta.",
        "en": "An SKDS is only for newcomers whose KTP is from outside the province of DKI "
        "Jakarta.",
    }
    assert (
        reasons["documents_missing"]["message"]["en"] == "Still missing: the documents asked for."
    )
    assert kecamatan["approved_rate"] == 0.5
    [point] = view["points"]
    assert (point["point_kind"], point["point_name"]) == ("school", "SMAN 8 Jakarta")
    assert point["median_minutes_to_decision"] is not None
    only_skds = await summary(tier, since=today, until=today, kind="skds")
    assert only_skds["totals"]["total"] == 1
    text = json.dumps(view)
    for personal in (ADULT_NIK, "Siti Aminah", "siti@example.id", "Tebet Raya", "+62812"):
        assert personal not in text


async def test_a_redelivered_event_counts_once_and_a_rebuild_gives_the_same_rows(
    tier: ServiceTier,
) -> None:
    await submit(tier, form("skds", BANDUNG_NIK))
    before = dict(tier.dashboard_rows.rows)
    for record in await tier.events(tier.stream_of(BANDUNG_NIK)):
        await tier.feed.deliver(record)
    await tier.settled()
    assert tier.dashboard_rows.rows == before
    [row] = before.values()
    assert (row.status, row.notified_at is not None) == ("verified", True)
    rebuilt = await replay(tier.store)
    assert rebuilt.rows == before
    [first] = await tier.events(tier.stream_of(BANDUNG_NIK), "RequestSubmitted")
    assert await take(rebuilt, first, tier.store) is False


async def test_events_out_of_order_end_as_if_in_order(tier: ServiceTier) -> None:
    """Two writers publish their own appends and the relay republishes late: a row must
    not follow arrival order. Fed v3 before v2, a decision before its submission, then
    everything again, fresh rows end as the log's replay (each stream in version order)."""
    await submit(tier, form("ektp_recording", ADULT_NIK))  # verified
    await submit(tier, form("skds", ADULT_NIK))  # rejected: a Jakartan needs no SKDS
    stream = tier.stream_of(ADULT_NIK)
    records = await tier.events(stream)
    [first_decision, *_] = [r for r in records if r.event_type == "RequestVerified"]
    assert first_decision.version == 2
    in_order = await replay(tier.store)
    # Each event once: v3 first, then the decision (v2), then its submission (v1), the rest
    # newest first; then everything again, as a redelivery would.
    arrival = [records[2], records[1], records[0], *reversed(records[3:])]
    rows = InMemoryRows()
    for record in arrival:
        await take(rows, record, tier.store)
    assert rows.rows == in_order.rows
    assert rows.versions == in_order.versions == {stream: len(records)}
    assert {row.status for row in rows.rows.values()} == {"verified", "rejected"}
    for record in records:
        assert await take(rows, record, tier.store) is False
    assert rows.rows == in_order.rows


class EmptyLog:
    """A log that lacks the versions an event skipped (only if someone deleted them)."""

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return []


async def test_an_event_whose_predecessors_the_log_lacks_is_not_taken(tier: ServiceTier) -> None:
    """Taking it would show a row the log cannot explain: the consumer stops on it (and
    `jemput-audit verify` names the gap) rather than skip versions for good."""
    await submit(tier, form("skds", ADULT_NIK))
    records = await tier.events(tier.stream_of(ADULT_NIK))
    rows = InMemoryRows()
    with pytest.raises(LookupError, match="missing from the log"):
        await take(rows, records[2], EmptyLog())
    assert (rows.rows, rows.versions) == ({}, {})


async def test_only_supervisors_read_it_and_every_table_downloads(tier: ServiceTier) -> None:
    await submit(tier, form())
    for who, expected in ((None, 401), ("officer-1", 403), ("auditor-1", 403)):
        headers = as_(who) if who else {}
        refused = await tier.dashboard.get("/v1/dashboard/summary", headers=headers)
        assert refused.status_code == expected
    for table in ("kecamatan", "kelurahan", "points", "days"):
        csv = await tier.dashboard.get(f"/v1/dashboard/tables/{table}.csv", headers=SUPERVISOR)
        assert csv.status_code == 200, csv.text
        assert csv.headers["content-type"].startswith("text/csv")
        assert len(csv.text.splitlines()) >= 2, table  # a header and a line
    backwards = await tier.dashboard.get(
        "/v1/dashboard/summary",
        params={"since": "2026-11-30", "until": "2026-11-01"},
        headers=SUPERVISOR,
    )
    assert backwards.status_code == 422
    far = await tier.dashboard.get(
        "/v1/dashboard/summary", params={"until": "3000-01-01"}, headers=SUPERVISOR
    )
    assert far.status_code == 422
    assert far.json()["errors"][0]["field"] == "query.until"  # the date at fault
    page = await tier.dashboard.get("/")
    assert page.status_code == 200
    assert "dashboard.js" in page.text


async def test_a_name_that_is_a_formula_downloads_as_text(tier: ServiceTier) -> None:
    """An officer typed the outreach point's name; a spreadsheet must not run it."""
    point = {**form()["outreach_point"], "name": '=HYPERLINK("http://evil.example","x")'}
    await submit(tier, form(outreach_point=point))
    csv = await tier.dashboard.get("/v1/dashboard/tables/points.csv", headers=SUPERVISOR)
    assert csv.status_code == 200, csv.text
    [line] = csv.text.splitlines()[1:]
    assert "'=HYPERLINK(" in line
    assert ",=HYPERLINK" not in line
    assert ',"=HYPERLINK' not in line


async def test_full_width_and_look_alike_formulas_download_as_text(tier: ServiceTier) -> None:
    names = ["\uff1dHYPERLINK(1)", "\uff0bcmd", "\uff0dcmd", "\uff20SUM(1)", "\ufe66A1"]
    for n, name in enumerate(names):
        point = {**form()["outreach_point"], "name": name}
        await submit(tier, {**form(), "request_id": f"tablet07-0000{n}", "outreach_point": point})
    csv = await tier.dashboard.get("/v1/dashboard/tables/points.csv", headers=SUPERVISOR)
    assert csv.status_code == 200, csv.text
    shown = {row["point_name"] for row in DictReader(io.StringIO(csv.text))}
    assert shown == {"'" + name for name in names}


async def test_a_slash_in_a_kelurahan_makes_no_two_places_one(tier: ServiceTier) -> None:
    """Joined with '/', these two outreach points had one key and one label."""
    today = local_date(datetime.now(UTC)).isoformat()  # the office's day (WIB), not the host's
    first = {**form()["outreach_point"], "kelurahan": "Manggarai/school", "name": "X"}
    second = {**form()["outreach_point"], "kelurahan": "Manggarai", "name": "school/X"}
    await submit(tier, {**form(), "request_id": "tablet07-00001", "outreach_point": first})
    await submit(
        tier, {**form(), "request_id": "tablet07-00002", "outreach_point": second}, settle=True
    )
    view = await summary(tier, since=today, until=today)
    points = {(p["kelurahan"], p["point_kind"], p["point_name"]): p for p in view["points"]}
    assert set(points) == {("Manggarai/school", "school", "X"), ("Manggarai", "school", "school/X")}
    assert len({p["key"] for p in view["points"]}) == 2
    assert {k["kelurahan"] for k in view["kelurahan"]} == {"Manggarai/school", "Manggarai"}


async def test_a_free_text_reason_is_sealed_and_the_dashboard_still_counts_it(
    tier: ServiceTier,
) -> None:
    """An officer may name a person in a withdrawal's reason: it is sealed like the form,
    opened for those with keys, and the dashboard (no keys) still sees the withdrawal."""
    waiting = await submit(tier, {**birth(), "documents": []})
    reason = f"Dewi {BANDUNG_NIK} moved"
    withdrawn = await tier.intake.post(
        f"/v1/requests/{waiting}/withdraw", json={"reason": reason}, headers=as_("officer-1")
    )
    assert withdrawn.status_code == 204, withdrawn.text
    await tier.settled()
    assert BANDUNG_NIK not in json.dumps(list(tier.recorder.documents.values()), default=str)
    [stored] = await tier.events(tier.stream_of(ADULT_NIK), "RequestWithdrawn")
    assert "enc" in stored.payload["reason"]
    history = await tier.audit.get(
        f"/v1/audit/streams/{tier.stream_of(ADULT_NIK)}/history",
        params={"case": "INSP-1"},
        headers=as_("auditor-1"),
    )
    assert reason in history.text  # opened for an auditor
    view = await summary(tier)
    assert view["totals"]["by_status"].get("withdrawn") == 1


async def test_an_event_forged_on_the_topic_is_not_counted(tier: ServiceTier) -> None:
    """The dashboard counts what it reads without the store: an event whose seal does not
    check (someone wrote to the topic) goes to the dead-letter topic instead."""
    await submit(tier, form())
    [real] = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    forged = real.model_copy(
        update={
            "event_id": "forged-0001",
            "payload": {**real.payload, "request_id": "forged-0001", "tracking_code": "JB-F"},
        }
    )
    await tier.feed.deliver(forged)
    await tier.settled()
    assert (await summary(tier))["totals"]["total"] == 1
    dead = tier.dead(DashboardSettings().dead_letter_topic)
    assert [d["reason"] for d in dead] == ["unsealed"]
