"""A tampered stream on the real store: reads answer what verify found (409, the break's
kind and version), the auditor reads the stored documents as they are (access-logged,
personal fields sealed), and a stream whose events were all deleted is not `ok`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
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

CASE = {"case": "INSP-2026-099"}
READS = ("history", "events", "state", "export")


class Audit:
    def __init__(self, jb: Pipeline, api: httpx.AsyncClient, db: AsyncDatabase[Document]) -> None:
        self.jb, self.api, self.db = jb, api, db
        self.headers = jb.as_("auditor-1")

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.api.get(path, params={**CASE, **params}, headers=self.headers)

    async def decided_applicant(self) -> str:
        """One verified request; the stream id, found without reading the stream."""
        officer = self.jb.as_("officer-1")
        sent = await self.jb.intake.post("/v1/requests", json=form(), headers=officer)
        code = sent.json()["tracking_code"]

        async def verified() -> bool:
            status = (await self.jb.intake.get(f"/v1/status/{code}")).json()["status"]
            return bool(status == "verified")

        await eventually(verified, what="the request verified")

        async def settled() -> bool:  # the email's outcome recorded: nothing more to come
            delivered = {"event_type": "NotificationDelivered"}
            return bool(await self.db["events"].count_documents(delivered))

        await eventually(settled, what="the email's outcome")
        found = await self.api.post(
            "/v1/audit/lookup", params=CASE, json={"nik": ADULT_NIK}, headers=self.headers
        )
        return str(found.json()["stream_id"])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "JEMPUT_MONGO_DB": self.db.name,
            "JEMPUT_CHAIN_KEY_ID": "test",
            "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789",
        }
        command = [sys.executable, "-m", "services.audit.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


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


async def test_an_edited_event_is_named_and_its_documents_can_be_read(audit: Audit) -> None:
    stream = await audit.decided_applicant()
    await audit.db["events"].update_one(
        {"_id": f"{stream}:0000000002"}, {"$set": {"payload.rule_set_id": "forged"}}
    )
    for read in READS:
        answer = await audit.get(f"/v1/audit/streams/{stream}/{read}")
        assert answer.status_code == 409, (read, answer.text)
        body = answer.json()
        assert (body["kind"], body["version"], body["stream_id"]) == ("edited", 2, stream)
        assert f"/v1/audit/streams/{stream}/documents" in body["detail"]

    stored = await audit.get(f"/v1/audit/streams/{stream}/documents")
    assert stored.status_code == 200, stored.text
    documents = stored.json()
    assert [d["version"] for d in documents[:2]] == [1, 2]
    assert documents[1]["payload"]["rule_set_id"] == "forged"  # what was done, as it is
    text = json.dumps(documents)
    assert "Siti Aminah" not in text  # personal fields stay sealed
    assert ADULT_NIK not in text
    reads = await audit.db["audit_access"].find({"stream_id": stream}).to_list()
    assert "documents" in {r["action"] for r in reads}

    history = await asyncio.to_thread(
        audit.cli, "history", "--stream", stream, "--as", "inspector-1", "--case", "INSP-1"
    )
    assert history.returncode == 1
    assert "broken at version 2 (edited)" in history.stdout + history.stderr
    assert "Traceback" not in history.stderr
    raw = await asyncio.to_thread(
        audit.cli, "documents", "--stream", stream, "--as", "inspector-1", "--case", "INSP-1"
    )
    assert raw.returncode == 0, raw.stderr
    lines = [json.loads(line) for line in raw.stdout.splitlines()]
    assert lines[1]["payload"]["rule_set_id"] == "forged"


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"stream_id": "applicant-someone-else"}, "missing"),  # moved to another stream
        ({"payload": "not an object"}, "edited"),  # no longer reads as an event
    ],
)
async def test_a_document_that_does_not_read_is_located_not_a_500(
    audit: Audit, change: dict[str, Any], kind: str
) -> None:
    stream = await audit.decided_applicant()
    await audit.db["events"].update_one({"_id": f"{stream}:0000000001"}, {"$set": change})
    answer = await audit.get(f"/v1/audit/streams/{stream}/history")
    assert answer.status_code == 409, answer.text
    assert (answer.json()["kind"], answer.json()["version"]) == (kind, 1)


async def test_a_stream_with_every_event_deleted_is_not_ok(audit: Audit) -> None:
    stream = await audit.decided_applicant()
    await audit.db["events"].delete_many({"stream_id": stream})
    verify = await audit.api.get(
        "/v1/audit/verify", params={"stream_id": stream}, headers=audit.headers
    )
    assert verify.status_code == 404, verify.text
    assert "no events" in verify.json()["detail"]
    assert "digest" in verify.json()["detail"]
    cli = await asyncio.to_thread(audit.cli, "verify", "--stream", stream)
    assert cli.returncode == 1
    assert "digest" in cli.stdout
    assert (await audit.get(f"/v1/audit/streams/{stream}/documents")).status_code == 404
