"""docs/devices.md's examples, run as written against the real stack: the API's in order
(intake in-process on FerretDB and Kafka), then the command line's on the same database."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.eventstore.recorder import Document
from shared.web.http import ApiKey, Role, key_digest
from tests.e2e.pipeline import common

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/devices.md"
HTTP = re.compile(
    r"```http\n(?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d+)\n(?P<rest>.*?)```", re.S
)
SHELL = re.compile(r"```sh\n(?P<lines>.*?)```", re.S)
DEV_KEYS = {
    "officer-dev": (Role.OFFICER, "dev-officer-key"),
    "supervisor-dev": (Role.SUPERVISOR, "dev-supervisor-key"),
}


async def test_the_devices_api_examples_answer_as_documented(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> None:
    settings = common(mongo_db.name) | {"publish_appends": False}
    settings["api_keys"] = {
        n: ApiKey(role=r, sha256=key_digest(k)) for n, (r, k) in DEV_KEYS.items()
    }
    app = intake_app(IntakeSettings(**settings))
    device_key, ran = "", []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://doc") as client,
    ):
        for block in HTTP.finditer(DOC.read_text()):
            head, _, body = block["rest"].partition("\n\n")
            headers = {
                name: value.replace("{device_key}", device_key)
                for name, value in (line.split(": ", 1) for line in head.splitlines())
            }
            response = await client.request(
                block["method"], block["path"], headers=headers, content=body.strip() or None
            )
            assert response.status_code == int(block["status"]), (block[0], response.text)
            device_key = device_key or response.json()["key"]
            ran.append(f"{block['method']} {block['path']}")
            if block["path"] == "/v1/devices" and block["method"] == "GET":
                [listed] = response.json()
                assert (listed["device_id"], listed["enrolled_by"]) == (
                    "tablet-07",
                    "supervisor-dev",
                )
    assert response.json() == {"detail": "device key revoked"}  # the last example's answer
    assert len(ran) == 6
    [submitted] = await mongo_db["events"].find({"event_type": "RequestSubmitted"}).to_list(None)
    assert submitted["payload"]["submitted_by"] == "device:tablet-07"


def test_the_command_line_examples_run(mongo_db: AsyncDatabase[Document]) -> None:
    [block] = SHELL.finditer(DOC.read_text())
    env = {**os.environ, "JEMPUT_MONGO_DB": mongo_db.name}
    outputs = []
    for line in block["lines"].splitlines():
        argv = shlex.split(line)
        argv[0] = str(Path(sys.executable).parent / Path(argv[0]).name)
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert done.returncode == 0, (line, done.stderr)
        outputs.append(done.stdout)
    enrolled = json.loads(outputs[0])
    assert enrolled["device_id"] == "tablet-07"
    [listed] = [json.loads(row) for row in outputs[1].splitlines()]
    assert (listed["office"], listed["revoked_at"]) == ("Kel. Bukit Duri", None)
    assert enrolled["key"] not in outputs[1]
