"""Per-device keys, scoped request ids and who may follow a request up, on the real stack
(FerretDB; intake in-process), and `jemput-devices` against the same database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.api import NO_CODE_OR_NOT_YOURS
from services.intake.settings import IntakeSettings
from shared.eventstore.recorder import Document
from shared.web.http import ApiKey, Role, key_digest
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.integration.intake_client import intake, intake_settings

SUPERVISOR = {"X-API-Key": "supervisor-key-" + "s" * 20}
VERIFIER = {"X-API-Key": "verifier-key-" + "v" * 20}
ROOT = Path(__file__).resolve().parents[2]


def settings_for(db: str) -> IntakeSettings:
    base = intake_settings(db)
    keys = {
        **base.api_keys,
        "lead-1": ApiKey(role=Role.SUPERVISOR, sha256=key_digest(SUPERVISOR["X-API-Key"])),
        "verifier-1": ApiKey(role=Role.VERIFIER, sha256=key_digest(VERIFIER["X-API-Key"])),
    }
    return base.model_copy(update={"api_keys": keys})


@pytest.fixture
async def api(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with intake(settings_for(mongo_db.name)) as client:
        yield client


async def enrol(api: httpx.AsyncClient, device_id: str) -> dict[str, str]:
    answer = await api.post("/v1/devices", json={"device_id": device_id}, headers=SUPERVISOR)
    assert answer.status_code == 201, answer.text
    return {"X-API-Key": answer.json()["key"]}


async def test_a_device_cannot_squat_another_devices_request_ids(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    squatter, owner = await enrol(api, "tablet-66"), await enrol(api, "tablet-84")
    ids = [f"tablet84-20261206-000{n}" for n in (1, 2, 3)]
    for request_id in ids:
        body = {**form("skds", BANDUNG_NIK), "request_id": request_id}
        assert (await api.post("/v1/requests", json=body, headers=squatter)).status_code == 201
    for request_id in ids:
        real = await api.post(
            "/v1/requests", json={**form(), "request_id": request_id}, headers=owner
        )
        assert real.status_code == 201, real.text  # was 409 before ids were scoped
        assert (real.json()["result"], real.json()["request_id"]) == ("accepted", request_id)
    stored = await mongo_db["events"].count_documents({"event_type": "RequestSubmitted"})
    assert stored == 6
    assert ADULT_NIK not in json.dumps(await mongo_db["tracking_codes"].find({}).to_list(None))


async def test_only_the_taker_or_a_verifier_withdraws(api: httpx.AsyncClient) -> None:
    taker, other = await enrol(api, "tablet-07"), await enrol(api, "tablet-08")
    code = (await api.post("/v1/requests", json=form(), headers=taker)).json()["tracking_code"]
    for who in (other, {}):  # another device; the static officer key of the client
        refused = await api.post(
            f"/v1/requests/{code}/withdraw", json={"reason": "not mine"}, headers=who
        )
        assert (refused.status_code, refused.json()["detail"]) == (403, NO_CODE_OR_NOT_YOURS)
        documents = await api.post(
            f"/v1/requests/{code}/documents", json={"documents": ["family_card"]}, headers=who
        )
        assert (documents.status_code, documents.json()["detail"]) == (403, NO_CODE_OR_NOT_YOURS)
    assert (await api.get(f"/v1/status/{code}")).json()["status"] == "submitted"
    by_verifier = await api.post(
        f"/v1/requests/{code}/withdraw", json={"reason": "applicant asked"}, headers=VERIFIER
    )
    assert by_verifier.status_code == 204, by_verifier.text
    assert (await api.get(f"/v1/status/{code}")).json()["status"] == "withdrawn"
    second = (await api.post("/v1/requests", json=form("skds"), headers=taker)).json()
    mine = await api.post(
        f"/v1/requests/{second['tracking_code']}/withdraw", json={"reason": "x"}, headers=taker
    )
    assert mine.status_code == 204


async def test_a_revocation_holds_at_once_on_every_instance(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    settings = settings_for(mongo_db.name)
    async with intake(settings) as one, intake(settings) as two:
        key = await enrol(one, "tablet-07")
        assert (await two.get("/v1/devices/me", headers=key)).json()["device_id"] == "tablet-07"
        assert (await one.delete("/v1/devices/tablet-07", headers=SUPERVISOR)).status_code == 204
        refused = await two.post("/v1/requests", json=form(), headers=key)
        assert (refused.status_code, refused.json()) == (401, {"detail": "device key revoked"})
    assert await mongo_db["events"].count_documents({}) == 0


async def devices_cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the CLI in a thread: the app's Kafka consumer in this loop keeps its heartbeats
    (a loop blocked for seconds once left the group mid-rebalance and its stop hung)."""
    env = {**os.environ, "JEMPUT_MONGO_DB": db}
    return await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "jemput-devices"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.mark.timeout(300)  # five CLI processes, each starting Python and its imports
async def test_the_cli_enrols_lists_and_revokes(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    enrolled = await devices_cli(
        mongo_db.name, "enrol", "--device", "tablet-09", "--office", "Kel. Tebet"
    )
    assert enrolled.returncode == 0, enrolled.stderr
    key = {"X-API-Key": json.loads(enrolled.stdout)["key"]}
    me = await api.get("/v1/devices/me", headers=key)
    assert me.json() == {"device_id": "tablet-09", "office": "Kel. Tebet"}
    again = await devices_cli(mongo_db.name, "enrol", "--device", "tablet-09")
    assert again.returncode == 1
    assert "enrolled" in again.stderr
    listed = await devices_cli(mongo_db.name, "list")
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["device_id"], row["revoked_at"]) == ("tablet-09", None)
    assert key["X-API-Key"] not in listed.stdout
    revoked = await devices_cli(mongo_db.name, "revoke", "--device", "tablet-09")
    assert revoked.returncode == 0
    refused = await api.post("/v1/requests", json=form(), headers=key)
    assert (refused.status_code, refused.json()) == (401, {"detail": "device key revoked"})
    unknown = await devices_cli(mongo_db.name, "revoke", "--device", "tablet-99")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "no device with this id")
    bad = await devices_cli(mongo_db.name, "enrol", "--device", "Tablet 9")
    assert bad.returncode == 1
