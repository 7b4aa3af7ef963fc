"""Services as real processes, killed with SIGKILL mid-flow and restarted: no request is
lost, and no applicant gets the same alert twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.notification.settings import NotificationSettings
from shared.eventstore.recorder import Document
from shared.web.http import key_digest
from tests.e2e.receivers import Mailbox, free_port, smtp_server
from tests.factories import form
from tests.waiting import eventually

REQUESTS = 24
OFFICER_KEY = "crash-test-officer-key"
MODULES = {
    "relay": "services.relay",
    "intake": "services.intake",
    "verification": "services.verification",
    "notification": "services.notification",
}


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.running = env, logs, {}  # type: ignore[var-annotated]
        self.ports = {name: free_port() for name in MODULES}

    def start(self, name: str) -> None:
        env = {**self.env, "JEMPUT_HTTP_PORT": str(self.ports[name])}
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", MODULES[name]], env=env, stdout=log, stderr=log
        )

    def kill(self, name: str) -> None:
        self.running[name].send_signal(signal.SIGKILL)
        self.running[name].wait(10)

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def processes(
    mongo_db: AsyncDatabase[Document],
    kafka_bootstrap: str,
    tmp_path: Path,
    mail: tuple[Mailbox, int],
) -> Iterator[Processes]:
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "JEMPUT_MONGO_DB": mongo_db.name,
        "JEMPUT_EVENTS_TOPIC": f"test.crash.{suffix}",
        # Killed processes stay in their groups until the session times out: groups of
        # this test's own keep that wait away from other tests' consumers.
        "JEMPUT_KAFKA_GROUP_PREFIX": f"test-crash-{suffix}",
        "JEMPUT_API_KEYS": json.dumps(
            {"officer": {"role": "officer", "sha256": key_digest(OFFICER_KEY)}}
        ),
        "JEMPUT_SMTP_PORT": str(mail[1]),
        "JEMPUT_LOG_LEVEL": "WARNING",
        "JEMPUT_RELAY_BATCH_SIZE": "20",
    }
    running = Processes(env, tmp_path)
    yield running
    running.stop_all()


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_killed_services_lose_nothing_and_repeat_no_alert(
    processes: Processes, mail: tuple[Mailbox, int], mongo_db: AsyncDatabase[Document]
) -> None:
    mailbox = mail[0]
    for name in MODULES:
        processes.start(name)
    for service in ("intake", "verification", "notification"):
        port = processes.ports[service]
        await eventually(lambda p=port: ready(p), within=60, what=f"{service} ready")  # type: ignore[misc]

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{processes.ports['intake']}", headers={"X-API-Key": OFFICER_KEY}
    ) as intake:
        for n in range(REQUESTS):
            nik = f"317401150390{n + 1:04d}"
            body = form(nik=nik, applicant={"email": f"applicant{n}@example.id", "phone": None})
            response = await intake.post("/v1/requests", json=body)
            assert response.status_code == 201, response.text
            if n == REQUESTS // 3:
                processes.kill("notification")
                processes.kill("relay")
            if n == REQUESTS // 2:
                processes.kill("verification")
                processes.start("notification")
                processes.start("relay")
        processes.start("verification")

    events = mongo_db["events"]

    async def all_told() -> bool:
        delivered = await events.count_documents({"event_type": "NotificationDelivered"})
        unknown = await events.count_documents(
            {"event_type": "NotificationFailed", "payload.final": True}
        )
        return bool(delivered + unknown == REQUESTS)

    await eventually(all_told, within=90, what="an outcome for every applicant's email")
    assert await events.count_documents({"event_type": "RequestVerified"}) == REQUESTS
    per_address = {a: len(mailbox.to(a)) for a in {m["To"] for m in mailbox.messages}}
    assert all(count == 1 for count in per_address.values()), per_address
    assert all(mailbox.only_to(a) for a in per_address)  # each to its applicant alone
    unknown = await events.count_documents({"event_type": "NotificationFailed"})
    # A kill between "attempted" and "delivered" leaves an outcome unknown: never resent.
    # At most the messages in flight at the kill (NotificationSettings.max_in_flight).
    assert len(per_address) + unknown >= REQUESTS
    assert unknown <= NotificationSettings().max_in_flight
