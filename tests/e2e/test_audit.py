"""Auditors on the real stack: replay, time travel, tamper detection, digests, explanations,
rebuilt read models, exports that verify offline, and the access log."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.bootstrap import create_app as audit_app
from services.audit.settings import AuditSettings
from shared.eventstore.recorder import Document
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import ADULT_NIK, form
from tests.waiting import eventually

CASE = {"case": "INSP-2026-041"}


class Audit:
    def __init__(self, jb: Pipeline, api: httpx.AsyncClient, db: AsyncDatabase[Document]) -> None:
        self.jb, self.api, self.db = jb, api, db
        self.headers = jb.as_("auditor-1")

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.api.get(path, params={**CASE, **params}, headers=self.headers)


@pytest.fixture
async def audit(mongo_db: AsyncDatabase[Document], kafka_bootstrap: str) -> AsyncIterator[Audit]:
    async with pipeline(mongo_db.name) as jb:
        settings = AuditSettings(
            **{
                k: v
                for k, v in jb.settings.model_dump().items()
                if k in AuditSettings.model_fields and k != "http_port"
            }
        )
        app = audit_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://audit") as api:
                yield Audit(jb, api, mongo_db)


async def applicant_with_history(a: Audit) -> tuple[str, list[str]]:
    """One applicant, three requests: verified; documents asked, then verified; a second
    e-KTP recording, rejected."""
    officer = a.jb.as_("officer-1")
    codes = []
    for body in (form(), form("birth_certificate", documents=["birth_letter"])):
        response = await a.jb.intake.post("/v1/requests", json=body, headers=officer)
        codes.append(response.json()["tracking_code"])

    async def status(code: str) -> str:
        return str((await a.jb.intake.get(f"/v1/status/{code}")).json()["status"])

    await eventually(lambda: _is(status(codes[1]), "documents_requested"), what="documents asked")
    await a.jb.intake.post(
        f"/v1/requests/{codes[1]}/documents",
        json={"documents": ["family_card", "marriage_record"]},
        headers=officer,
    )
    await eventually(lambda: _is(status(codes[1]), "verified"), what="birth certificate verified")
    await eventually(lambda: _is(status(codes[0]), "verified"), what="e-KTP verified")
    third = await a.jb.intake.post("/v1/requests", json=form(), headers=officer)
    codes.append(third.json()["tracking_code"])
    await eventually(lambda: _is(status(codes[2]), "rejected"), what="the second e-KTP rejected")
    stream = (
        await a.api.post(
            "/v1/audit/lookup", params=CASE, json={"nik": ADULT_NIK}, headers=a.headers
        )
    ).json()["stream_id"]

    async def settled() -> bool:  # every email out, nothing more to come
        return await a.db["events"].count_documents({"event_type": "NotificationDelivered"}) >= 4

    await eventually(settled, what="the notifications")
    return stream, codes


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


async def test_history_state_diff_and_access_log(audit: Audit) -> None:
    stream, _ = await applicant_with_history(audit)
    history = (await audit.get(f"/v1/audit/streams/{stream}/history")).json()
    assert [h["version"] for h in history] == list(range(1, len(history) + 1))
    assert history[0]["event_type"] == "RequestSubmitted"
    assert history[0]["actor"] == "officer-1"
    assert any(h["actor"].startswith("verification (jaksel-2027.01)") for h in history)
    page = (await audit.get(f"/v1/audit/streams/{stream}/history", offset=2, limit=3)).json()
    assert page == history[2:5]
    first_request = history[0]["request_id"]
    only_first = (
        await audit.get(f"/v1/audit/streams/{stream}/history", request_id=first_request)
    ).json()
    assert {h["request_id"] for h in only_first} == {first_request}

    as_of_first = (await audit.get(f"/v1/audit/streams/{stream}/state", version=1)).json()
    assert [v["status"] for v in as_of_first.values()] == ["submitted"]
    now = (await audit.get(f"/v1/audit/streams/{stream}/state")).json()
    assert sorted(v["status"] for v in now.values()) == ["rejected", "verified", "verified"]
    before, after = history[0]["recorded_at"], history[-1]["recorded_at"]
    changes = (
        await audit.get(f"/v1/audit/streams/{stream}/diff", before=before, after=after)
    ).json()
    assert {
        "request_id": first_request,
        "field": "status",
        "before": "submitted",
        "after": "verified",
    } in changes

    raw = (await audit.get(f"/v1/audit/streams/{stream}/events")).json()
    assert raw[1]["prev_hash"] == raw[0]["hash"]

    log = (await audit.get("/v1/audit/access", stream_id=stream)).json()
    assert {e["action"] for e in log} >= {"lookup", "history", "state", "diff", "raw"}
    assert all(e["case_reference"] == "INSP-2026-041" and e["caller"] == "auditor-1" for e in log)


async def test_only_auditors_and_only_with_a_case(audit: Audit) -> None:
    stream, _ = await applicant_with_history(audit)
    path = f"/v1/audit/streams/{stream}/history"
    officer = await audit.api.get(path, params=CASE, headers=audit.jb.as_("officer-1"))
    assert officer.status_code == 403
    assert (await audit.api.get(path, params=CASE)).status_code == 401
    assert (await audit.api.get(path, headers=audit.headers)).status_code == 422  # no case
    log = (await audit.get("/v1/audit/access")).json()
    assert [e["action"] for e in log] == ["access_log", "lookup"]  # refused reads: none
    unknown = await audit.get("/v1/audit/streams/applicant-nobody/history")
    assert unknown.status_code == 404
    no_code = await audit.get("/v1/audit/tracking/JB-00000-00000")
    assert no_code.status_code == 404
    for bad_case in ["   ", "INSP\x00-1", "INSP\n2026", "ab"]:
        refused = await audit.api.get(path, params={"case": bad_case}, headers=audit.headers)
        assert refused.status_code == 422, bad_case
    # Times without a zone are refused (they were 500s), with the field named.
    naive = "2026-11-29T10:00:00"
    for path, params in [
        (f"/v1/audit/streams/{stream}/state", {"at": naive}),
        (f"/v1/audit/streams/{stream}/diff", {"before": naive, "after": naive}),
    ]:
        answer = await audit.get(path, **params)
        assert answer.status_code == 422, (path, answer.text)
    digest = await audit.api.post(
        "/v1/audit/digest", params={"as_of": naive}, headers=audit.headers
    )
    assert digest.status_code == 422
    future = await audit.api.post(
        "/v1/audit/digest", params={"as_of": "2099-01-01T00:00:00Z"}, headers=audit.headers
    )
    assert future.status_code == 422  # a checkpoint of the future would later fail for nothing


async def test_a_decision_replays_to_the_same_outcome(audit: Audit) -> None:
    stream, _ = await applicant_with_history(audit)
    history = (await audit.get(f"/v1/audit/streams/{stream}/history")).json()
    birth = next(h["request_id"] for h in history if "birth_certificate submitted" in h["summary"])
    explained = (await audit.get(f"/v1/audit/streams/{stream}/requests/{birth}/explain")).json()
    assert [e["decided"] for e in explained] == ["DocumentsRequested", "RequestVerified"]
    assert all(e["replay_matches"] for e in explained)
    assert explained[-1]["today"] == "RequestVerified"


async def test_a_tracking_code_is_enough_for_an_explanation_over_http_and_the_cli(
    audit: Audit,
) -> None:
    stream, codes = await applicant_with_history(audit)
    [explained] = (await audit.get(f"/v1/audit/tracking/{codes[2]}/explain")).json()
    assert (explained["decided"], explained["replay_matches"]) == ("RequestRejected", True)
    assert ("ektp_not_recorded", "ektp_already_recorded") in {
        (o["rule"], o["reason"]) for o in explained["recorded"]
    }
    reads = await audit.db["audit_access"].find({"case_reference": CASE["case"]}).to_list()
    assert ("explain", stream) in {(r["action"], r["stream_id"]) for r in reads}
    env = {
        **os.environ,
        "JEMPUT_MONGO_DB": audit.db.name,
        "JEMPUT_CHAIN_KEY_ID": "test",
        "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789",
    }
    command = [sys.executable, "-m", "services.audit.cli", "explain", "--code", codes[2]]
    command += ["--as", "inspector-1", "--case", "INSP-2026-042"]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {
        "rule": "ektp_not_recorded",
        "recorded": "reject ektp_already_recorded",
        "replayed": "reject ektp_already_recorded",
    } in rows
    assert await audit.db["audit_access"].count_documents({"case_reference": "INSP-2026-042"}) == 1


async def test_raw_events_of_one_request(audit: Audit) -> None:
    stream, _ = await applicant_with_history(audit)
    everything = (await audit.get(f"/v1/audit/streams/{stream}/events")).json()
    first = everything[0]["payload"]["request_id"]
    only = (await audit.get(f"/v1/audit/streams/{stream}/events", request_id=first)).json()
    assert only == [e for e in everything if e["payload"].get("request_id") == first]
    assert 1 < len(only) < len(everything)


async def test_rebuilt_read_models_equal_the_live_ones_and_nothing_is_written(
    audit: Audit,
) -> None:
    await applicant_with_history(audit)
    service = audit.api._transport.app.state.audit  # type: ignore[attr-defined]
    collections = set(await audit.db.list_collection_names())
    rebuilt, same = await service.rebuild()
    assert same == {"review_queue": True, "tracking_codes": True}
    assert rebuilt.events == await audit.db["events"].count_documents({})
    assert rebuilt.by_kecamatan["317401"] == {"verified": 2, "rejected": 1}
    # Compared in memory: the audit keeps no read model that nothing reads.
    assert set(await audit.db.list_collection_names()) == collections


async def test_a_review_decided_a_moment_ago_is_no_difference(audit: Audit) -> None:
    """Verification keeps a decided review a day, so that a late verifier is told who
    decided it; the queue the log is compared with is the undecided entries."""
    body = form(applicant={"birth_date": "1990-03-16"})  # goes to review
    sent = await audit.jb.intake.post("/v1/requests", json=body, headers=audit.jb.as_("officer-1"))
    code, verifier = sent.json()["tracking_code"], audit.jb.as_("verifier-1")
    queue = audit.db["review_queue"]

    async def queued(**marks: Any) -> bool:
        return await queue.count_documents({"_id": code, **marks}) == 1

    await eventually(queued, within=30, what="the review queued")
    await audit.jb.verification.post(f"/v1/reviews/{code}/claim", headers=verifier)
    ask = {"outcome": "documents_requested", "documents": ["family_card"], "reason": "KK buram"}
    decided = await audit.jb.verification.post(
        f"/v1/reviews/{code}/decision", json=ask, headers=verifier
    )
    assert decided.status_code == 204, decided.text
    await eventually(lambda: queued(decided_by="verifier-1"), what="the review marked decided")
    service = audit.api._transport.app.state.audit  # type: ignore[attr-defined]
    rebuilt, same = await service.rebuild()
    assert rebuilt.review_queue == set()
    assert same["review_queue"] is True


async def test_tampering_is_located_and_the_digest_no_longer_holds(
    audit: Audit, tmp_path: Path
) -> None:
    stream, _ = await applicant_with_history(audit)
    assert (await audit.api.get("/v1/audit/verify", headers=audit.headers)).json()["ok"]
    checkpoint = (
        await audit.api.post(
            "/v1/audit/digest",
            headers=audit.headers,
            params={"as_of": datetime.now(UTC).isoformat()},  # all settled: take everything
        )
    ).json()
    same = (
        await audit.api.post("/v1/audit/digest/check", json=checkpoint, headers=audit.headers)
    ).json()
    assert same["ok"]

    events = audit.db["events"]
    await events.update_one(
        {"_id": f"{stream}:0000000003"}, {"$set": {"payload.request_id": "other"}}
    )
    report = (
        await audit.api.get("/v1/audit/verify", headers=audit.headers, params={"stream_id": stream})
    ).json()
    assert report["breaks"][0]["version"] == 3
    assert report["breaks"][0]["kind"] == "edited"
    changed = (
        await audit.api.post("/v1/audit/digest/check", json=checkpoint, headers=audit.headers)
    ).json()
    assert changed["ok"] is False


async def test_an_export_verifies_offline_and_a_tampered_one_does_not(
    audit: Audit, tmp_path: Path
) -> None:
    stream, _ = await applicant_with_history(audit)
    env = {
        **os.environ,
        "JEMPUT_CHAIN_KEY_ID": "test",
        "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789",
    }
    for fmt in ("jsonl", "csv"):
        text = (await audit.get(f"/v1/audit/streams/{stream}/export", format=fmt)).text
        exported = tmp_path / f"history.{fmt}"
        exported.write_text(text)
        ok = await asyncio.to_thread(verify_export_cli, exported, fmt, env)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "intact" in ok.stdout
        assert "Tebet Raya" not in text  # the address is sealed; the outreach point is not
        exported.write_text(text.replace("SMAN 8 Jakarta", "SMAN 9 Jakarta", 1))
        bad = await asyncio.to_thread(verify_export_cli, exported, fmt, env)
        assert bad.returncode == 1
        assert "v1: edited" in bad.stdout


def verify_export_cli(
    path: Path, fmt: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`jemput-audit verify-export`, as an auditor runs it offline."""
    command = [
        sys.executable,
        "-m",
        "services.audit.cli",
        "verify-export",
        str(path),
        "--format",
        fmt,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
