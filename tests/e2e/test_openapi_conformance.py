"""Each service's OpenAPI document says what the service does: schemathesis (pinned in
pyproject.toml) fuzzes every operation of the running services, as processes on the real
stack, and checks every answer against the document: status codes, bodies, content
types, headers; no 5xx; input the schema refuses is refused; without a key, 401.

Not checked: `positive_data_acceptance` (input valid by the schema must be accepted). The
schema cannot say everything the rules refuse (a birth date after today, invisible
characters in a name, a NIK whose birth date disagrees), so valid-looking input may get
422: a truthful answer, documented as such.

Bounded: a fixed seed, a number of examples per operation and a time budget per service.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from shared.domain.request_ids import scoped
from shared.settings import InfraSettings
from shared.web.http import key_digest
from tests.factories import form

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = 15
SECONDS_PER_SERVICE = 45
KEYS = {
    "officer": "st-officer-key-0123",
    "verifier": "st-verifier-key-0123",
    "auditor": "st-auditor-key-0123",
    "supervisor": "st-supervisor-key-0123",
}
SERVICES = {
    "intake": "officer",
    "verification": "verifier",
    "audit": "auditor",
    "dashboard": "supervisor",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling a process we started, bounded by the deadline
    pytest.fail(f"{url} not ready in time")


@pytest.fixture(scope="module")
def services(
    settings: InfraSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Intake, verification, audit and the dashboard as `python -m services.X`, on a database and a
    topic of their own."""
    suffix = uuid.uuid4().hex[:8]
    api_keys = ",".join(
        f'"st-{role}": {{"role": "{role}", "sha256": "{key_digest(key)}"}}'
        for role, key in KEYS.items()
    )
    env = {
        **os.environ,
        "JEMPUT_ENV_FILE": "",
        "JEMPUT_MONGO_URL": settings.mongo_url,
        "JEMPUT_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "JEMPUT_MONGO_DB": f"jemput_st_{suffix}",
        "JEMPUT_EVENTS_TOPIC": f"test.st.events.{suffix}",
        "JEMPUT_KAFKA_GROUP_PREFIX": f"test-st-{suffix}",
        "JEMPUT_API_KEYS": "{" + api_keys + "}",
        "JEMPUT_CHAIN_KEY_ID": "st",
        "JEMPUT_CHAIN_KEY": "st-chain-key-0123456789",
        "JEMPUT_PSEUDONYM_KEY": "st-pseudonym-key-0123456789",
    }
    logs = tmp_path_factory.mktemp("services")
    urls, processes = {}, []
    try:
        for name in SERVICES:
            port = _free_port()
            log = (logs / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{name}"],
                    env={**env, "JEMPUT_HTTP_PORT": str(port)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls[name] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        for (_, url), process in zip(urls.items(), processes, strict=True):
            _wait_ready(url, process, deadline)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        client: MongoClient[dict[str, Any]]  # sync: the clean-up of a sync fixture
        with MongoClient(settings.mongo_url) as client:
            client.drop_database(env["JEMPUT_MONGO_DB"])


@pytest.fixture(scope="module")
def known(services: dict[str, str]) -> dict[str, str]:
    """Real values to fuzz with besides random ones: a request that was accepted and one
    that waits for a verifier (dated before the offline window), so the fuzzer reaches the
    operations' logic and not only their 404s."""
    officer = {"X-API-Key": KEYS["officer"]}
    plain = httpx.post(f"{services['intake']}/v1/requests", json=form(), headers=officer)
    assert plain.status_code == 201, plain.text
    late = form(
        nik="3174011204850003", occurred_at=(datetime.now(UTC) - timedelta(days=10)).isoformat()
    )
    review = httpx.post(f"{services['intake']}/v1/requests", json=late, headers=officer)
    assert review.status_code == 201, review.text
    verifier = {"X-API-Key": KEYS["verifier"]}
    deadline = time.monotonic() + 30
    queued: list[dict[str, str]] = []
    while time.monotonic() < deadline and not queued:
        queued = httpx.get(f"{services['verification']}/v1/reviews", headers=verifier).json()
        time.sleep(0.2)  # bounded by the deadline
    assert queued, "the late request never reached the review queue"
    stream = httpx.get(
        f"{services['audit']}/v1/audit/tracking/{plain.json()['tracking_code']}",
        params={"case": "ST-1"},
        headers={"X-API-Key": KEYS["auditor"]},
    )
    return {
        "code": plain.json()["tracking_code"],
        "review": queued[0]["tracking_code"],
        "request_id": scoped("st-officer", plain.json()["request_id"]),  # as stored
        "stream": stream.json()["stream_id"],
    }


def _config(path: Path, known: dict[str, str]) -> Path:
    path.write_text(
        f"""
[dictionaries.codes]
values = ["{known["code"]}", "{known["review"]}"]
[dictionaries.streams]
values = ["{known["stream"]}"]
[dictionaries.requests]
values = ["{known["request_id"]}"]
[parameters]
"path.tracking_code" = {{ dictionary = "codes", probability = 0.5 }}
"path.code" = {{ dictionary = "codes", probability = 0.5 }}
"path.stream_id" = {{ dictionary = "streams", probability = 0.5 }}
"path.request_id" = {{ dictionary = "requests", probability = 0.5 }}
"query.stream_id" = {{ dictionary = "streams", probability = 0.5 }}
"""
    )
    return path


@pytest.mark.timeout(SECONDS_PER_SERVICE * 2)
@pytest.mark.parametrize("service", list(SERVICES))
def test_service_answers_as_its_openapi_document_says(
    service: str, services: dict[str, str], known: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(_config(tmp_path / "schemathesis.toml", known)),
            "run",
            f"{services[service]}/openapi.json",
            "--header",
            f"X-API-Key: {KEYS[SERVICES[service]]}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "20261130",
            "--max-time",
            str(SECONDS_PER_SERVICE),
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # its cache (.schemathesis/) goes there, not into the repository
        timeout=SECONDS_PER_SERVICE + 60,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-12_000:] + result.stderr[-2_000:]
    # It ran every operation of the document, not none.
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected, result.stdout
    assert tested, result.stdout
    assert int(tested[1]) == int(selected[2]) > 0, result.stdout
