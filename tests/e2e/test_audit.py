"""Auditors on the real stack: the audit scenarios (tests/contract/audit_scenarios.py) over
Kafka, FerretDB, SMTP and an SMS gateway, and what only the real stack shows: read models
rebuilt from the log and compared with the live ones in MongoDB (writing nothing there),
and the command-line tool run as its own process against the real store, or offline."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.bootstrap import create_app as audit_app
from services.audit.service import AuditService
from services.audit.settings import AuditSettings
from shared.domain.applicant import STATUS_EVENTS
from shared.domain.events import DocumentsSupplied, RequestSubmitted
from shared.eventstore.chain import ChainKeys
from shared.eventstore.recorder import Document, event_key
from shared.repositories.access_log import AccessLogPort
from tests.contract.audit_scenarios import (
    AuditScenarios,
    birth_missing_documents,
    get,
    submit,
    supply,
)
from tests.e2e.pipeline import Pipeline, pipeline
from tests.e2e.receivers import SmsGatewayReceiver, sms_gateway
from tests.factories import ADULT_NIK, form
from tests.waiting import eventually

# A request whose last status event is one of these is not decided yet, and nobody is
# told of it; every other status is told (shared.domain.applicant.TOLD), on each channel.
UNDECIDED = {RequestSubmitted.event_type, DocumentsSupplied.event_type}
TOLD = {kind.event_type for kind in STATUS_EVENTS} - UNDECIDED
CHANNELS = 2  # email (the SMTP server) and SMS (the gateway)
CHAIN_KEY = {"JEMPUT_CHAIN_KEY_ID": "test", "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789"}


@dataclass
class StackWorld:
    """The audit scenarios' world (AuditWorld) on the real stack: the pipeline's services
    and relay, the audit service, all on this test's own database and topics."""

    jb: Pipeline
    audit: httpx.AsyncClient
    db: AsyncDatabase[Document]
    service: AuditService

    @property
    def intake(self) -> httpx.AsyncClient:
        return self.jb.intake

    @property
    def access(self) -> AccessLogPort:
        return self.service.access

    @property
    def chain_keys(self) -> ChainKeys:
        return self.jb.settings.chain_keys()

    def as_(self, name: str) -> dict[str, str]:
        return self.jb.as_(name)

    def stream_of(self, nik: str) -> str:
        return self.service.stream_of_nik(nik)

    async def settled(self) -> None:
        async def quiet() -> bool:
            last: dict[str, str] = {}  # request id: its last status event
            told = delivered = 0
            stored = self.db["events"].find({}, {"event_type": 1, "payload.request_id": 1})
            async for doc in stored.sort("_id", 1):  # a stream's events in version order
                kind = doc["event_type"]
                if kind in UNDECIDED | TOLD:
                    last[doc["payload"]["request_id"]] = kind
                told += kind in TOLD
                delivered += kind == "NotificationDelivered"
            return UNDECIDED.isdisjoint(last.values()) and delivered == told * CHANNELS

        await eventually(quiet, within=30, what="every request decided and every notice out")

    async def tamper(self, stream_id: str, version: int, field: str, value: Any) -> None:
        changed = await self.db["events"].update_one(
            {"_id": event_key(stream_id, version)}, {"$set": {f"payload.{field}": value}}
        )
        assert changed.modified_count == 1
        self.service.store.streams.forget(stream_id)  # as a process that reads it afresh


@pytest.fixture
async def world(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> AsyncIterator[StackWorld]:
    async with (
        sms_gateway(SmsGatewayReceiver()) as sms_url,
        pipeline(mongo_db.name, sms_url=sms_url) as jb,
    ):
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
                yield StackWorld(jb, api, mongo_db, app.state.audit)


class TestAuditOnTheStack(AuditScenarios):
    pass


async def test_rebuilt_read_models_equal_the_live_ones_and_nothing_is_written(
    world: StackWorld,
) -> None:
    """One applicant, three requests: verified; documents asked, then verified; a second
    e-KTP recording, rejected."""
    await submit(world, form())
    code = await submit(world, birth_missing_documents())
    await supply(world, code, ["family_card", "marriage_record"])
    await submit(world, form())
    collections = set(await world.db.list_collection_names())
    rebuilt, same = await world.service.rebuild()
    assert same == {"review_queue": True, "tracking_codes": True}
    assert rebuilt.events == await world.db["events"].count_documents({})
    assert rebuilt.by_kecamatan["317401"] == {"verified": 2, "rejected": 1}
    # Compared in memory: the audit keeps no read model that nothing reads.
    assert set(await world.db.list_collection_names()) == collections


async def test_a_review_decided_a_moment_ago_is_no_difference(world: StackWorld) -> None:
    """Verification keeps a decided review a day, so that a late verifier is told who
    decided it; the queue the log is compared with is the undecided entries."""
    body = form(applicant={"birth_date": "1990-03-16"})  # goes to review
    sent = await world.intake.post("/v1/requests", json=body, headers=world.as_("officer-1"))
    code, verifier = sent.json()["tracking_code"], world.as_("verifier-1")
    queue = world.db["review_queue"]

    async def queued(**marks: Any) -> bool:
        return await queue.count_documents({"_id": code, **marks}) == 1

    await eventually(queued, within=30, what="the review queued")
    await world.jb.verification.post(f"/v1/reviews/{code}/claim", headers=verifier)
    ask = {"outcome": "documents_requested", "documents": ["family_card"], "reason": "KK buram"}
    decided = await world.jb.verification.post(
        f"/v1/reviews/{code}/decision", json=ask, headers=verifier
    )
    assert decided.status_code == 204, decided.text
    await eventually(lambda: queued(decided_by="verifier-1"), what="the review marked decided")
    rebuilt, same = await world.service.rebuild()
    assert rebuilt.review_queue == set()
    assert same["review_queue"] is True


async def test_the_cli_in_its_own_process_explains_a_tracking_code_and_records_the_read(
    world: StackWorld,
) -> None:
    await submit(world, form())
    code = await submit(world, form())  # recorded already: rejected
    done = await asyncio.to_thread(
        cli,
        ["explain", "--code", code, "--as", "inspector-1", "--case", "INSP-2026-042"],
        {"JEMPUT_MONGO_DB": world.db.name},
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {
        "rule": "ektp_not_recorded",
        "recorded": "reject ektp_already_recorded",
        "replayed": "reject ektp_already_recorded",
    } in rows
    on_record = await world.access.list()
    assert [
        (r.caller, r.action, r.stream_id) for r in on_record if r.case_reference == "INSP-2026-042"
    ] == [("inspector-1", "explain", world.stream_of(ADULT_NIK))]


async def test_the_cli_verifies_an_export_offline_and_finds_an_edit(
    world: StackWorld, tmp_path: Path
) -> None:
    await submit(world, form())
    stream = world.stream_of(ADULT_NIK)
    for fmt in ("jsonl", "csv"):
        text = (await get(world, f"/streams/{stream}/export", format=fmt)).text
        exported = tmp_path / f"history.{fmt}"
        exported.write_text(text)
        verify = ["verify-export", str(exported), "--format", fmt]
        ok = await asyncio.to_thread(cli, verify)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "intact" in ok.stdout
        exported.write_text(text.replace("SMAN 8 Jakarta", "SMAN 9 Jakarta", 1))
        bad = await asyncio.to_thread(cli, verify)
        assert bad.returncode == 1
        assert "v1: edited" in bad.stdout


def cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`jemput-audit …` as an auditor runs it: its own process, the chain key from the
    environment (and, to read the store, its database)."""
    command = [sys.executable, "-m", "services.audit.cli", *args]
    environment = {**os.environ, **CHAIN_KEY, **(env or {})}
    return subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
