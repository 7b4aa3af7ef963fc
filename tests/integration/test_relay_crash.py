"""A relay process killed mid-flight (SIGKILL) loses nothing: after a restart every event
reaches Kafka, some perhaps twice, which consumers absorb by event id."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from faststream import AckPolicy
from pymongo.asynchronous.database import AsyncDatabase

from shared.event_schema.base import NewEvent, RecordedEvent
from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import Document
from shared.eventstore.store import EventStore
from shared.messaging.kafka import make_broker
from shared.settings import InfraSettings
from tests.waiting import eventually


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


EVENTS = 1000


def start_relay(db: str, topic: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JEMPUT_MONGO_DB": db,
        "JEMPUT_EVENTS_TOPIC": topic,
        "JEMPUT_RELAY_BATCH_SIZE": "50",
        "JEMPUT_CHAIN_KEY_ID": "test",
        "JEMPUT_CHAIN_KEY": "test-chain-key-0123456789",
        "JEMPUT_HTTP_PORT": str(free_port()),  # the relay's health and metrics
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.relay"], env=env, stdout=out, stderr=out
        )


async def test_relay_killed_between_append_and_publish_delivers_all_after_restart(
    mongo_db: AsyncDatabase[Document],
    chain_keys: ChainKeys,
    settings: InfraSettings,
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    recorder = MongoRecorder(mongo_db)
    await recorder.initialize()
    store = EventStore(recorder, chain_keys)
    batch = [NewEvent(event_type="T", schema_version=1, payload={"i": i}) for i in range(EVENTS)]
    for start in range(0, EVENTS, 50):  # 20 streams of 50 events
        await store.append(f"s-{start}", batch[start : start + 50], expected_version=0)
    all_ids = {e.event_id for e in batch}
    topic = f"test.crash.{uuid.uuid4().hex[:8]}"

    async def unpublished_count() -> int:
        return await recorder.outbox.count_documents({})

    async def fewer_unpublished_than(limit: int) -> bool:
        return await unpublished_count() < limit

    first = start_relay(mongo_db.name, topic, tmp_path / "first.log")
    try:
        await eventually(
            lambda: fewer_unpublished_than(EVENTS - 100), what="the relay to get going"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    left = await unpublished_count()
    assert 0 < left < EVENTS, "the kill should land mid-flight"

    second_log = tmp_path / "second.log"
    second = start_relay(mongo_db.name, topic, second_log)
    try:
        await eventually(lambda: fewer_unpublished_than(1), within=60, what="a full relay")
    finally:
        second.terminate()
        # A clean stop on SIGTERM: the app shuts down (the relay finishes its batch), then
        # uvicorn re-raises the signal, as every service does, so the status says SIGTERM.
        assert second.wait(20) == -signal.SIGTERM
        assert "Application shutdown complete" in second_log.read_text()

    seen: list[str] = []
    broker = make_broker(kafka_bootstrap, "test-crash")

    @broker.subscriber(
        topic, group_id=f"g-{topic}", auto_offset_reset="earliest", ack_policy=AckPolicy.ACK
    )
    async def collect(event: RecordedEvent) -> None:
        seen.append(event.event_id)

    async with broker:
        await broker.start()
        await eventually(lambda: set(seen) >= all_ids, within=60, what="every event id")
    assert set(seen) == all_ids
