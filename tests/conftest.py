"""Test tiers by folder (unit / integration / e2e) and the real-stack fixtures.

Integration and e2e tests use the real Kafka broker and MongoDB-wire server that
`make test` starts (deploy/local/stack.sh). If one is unreachable they fail, loudly:
nothing is swapped for a fake.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.chain import ChainKeys
from shared.settings import InfraSettings

TIERS = ("unit", "integration", "e2e")
pytest_plugins = ["tests.hang_report"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # The tier is the folder under tests/ (unit/service_tier/ is unit too).
        tier = next((p for p in Path(str(item.fspath)).parts if p in TIERS), None)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def settings() -> InfraSettings:
    return InfraSettings()


@pytest.fixture
def chain_keys() -> ChainKeys:
    return ChainKeys.single("test", "test-chain-key-0123456789")


def _require(host_port: str, what: str) -> None:
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"{what} is not reachable at {host_port} ({exc}); start it with `make up`")


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: InfraSettings) -> str:
    _require(settings.kafka_bootstrap, "Kafka")
    return settings.kafka_bootstrap


@pytest.fixture(scope="session")
async def mongo_client(
    settings: InfraSettings,
) -> AsyncIterator[AsyncMongoClient[dict[str, object]]]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    try:
        await client.admin.command("ping")
    except Exception as exc:
        pytest.fail(f"MongoDB-wire server not reachable at {settings.mongo_url}: {exc}")
    yield client
    await client.close()


@pytest.fixture
async def mongo_db(
    mongo_client: AsyncMongoClient[dict[str, object]],
) -> AsyncIterator[AsyncDatabase[dict[str, object]]]:
    """A database of its own for each test, dropped afterwards."""
    name = f"jemput_test_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)
