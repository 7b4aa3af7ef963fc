"""The ports' contracts (review queue, tracking index, data keys, dashboard rows, access
log, devices) against the real MongoDB-wire server."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.dashboard.rows import MongoRows
from services.intake.devices import MongoDevices
from services.verification.review_queue import ReviewQueue
from shared.eventstore.recorder import Document
from shared.privacy.mongo_keys import MongoDataKeys
from shared.repositories.access_log import AccessLog
from shared.repositories.tracking import MongoTrackingIndex
from tests.contract.access_log_contract import AccessLogContract, MinuteClock
from tests.contract.dashboard_rows_contract import DashboardRowsContract, row
from tests.contract.data_keys_contract import DataKeysContract
from tests.contract.devices_contract import DevicesContract
from tests.contract.review_queue_contract import ReviewQueueContract
from tests.contract.tracking_index_contract import TrackingIndexContract
from tests.waiting import eventually


@pytest.fixture
def queue(mongo_db: AsyncDatabase[Document]) -> ReviewQueue:
    return ReviewQueue(mongo_db["review_queue"])


@pytest.fixture
def data_keys(mongo_db: AsyncDatabase[Document]) -> MongoDataKeys:
    return MongoDataKeys(mongo_db["data_keys"])


@pytest.fixture
def index(mongo_db: AsyncDatabase[Document]) -> MongoTrackingIndex:
    return MongoTrackingIndex(mongo_db["tracking_codes"])


@pytest.fixture
def access_log(mongo_db: AsyncDatabase[Document]) -> AccessLog:
    return AccessLog(mongo_db["audit_access"], clock=MinuteClock())


class TestMongoAccessLog(AccessLogContract):
    pass


@pytest.fixture
def rows(mongo_db: AsyncDatabase[Document]) -> MongoRows:
    return MongoRows(mongo_db["dashboard_requests"], mongo_db["dashboard_streams"])


class TestMongoDashboardRows(DashboardRowsContract):
    async def test_versions_written_behind_reach_another_instance_never_ahead(
        self, rows: MongoRows, mongo_db: AsyncDatabase[Document]
    ) -> None:
        other = MongoRows(mongo_db["dashboard_requests"], mongo_db["dashboard_streams"])
        await rows.mark_applied("stream-a", 2)
        assert await other.applied("stream-a") in (0, 2)  # behind, or written: never ahead
        await rows.mark_applied("stream-a", 3)
        await rows.flush()
        fresh = MongoRows(mongo_db["dashboard_requests"], mongo_db["dashboard_streams"])
        assert await fresh.applied("stream-a") == 3

    @pytest.mark.timeout(60)
    async def test_hundreds_of_rows_and_versions_are_written_again_in_one_go(
        self, rows: MongoRows, mongo_db: AsyncDatabase[Document]
    ) -> None:
        # FerretDB hangs on an update command of 100 statements on existing documents.
        many = [row(n) for n in range(1, 301)]
        for version in (1, 2):
            for n in range(300):
                await rows.mark_applied(f"stream-{n}", version)
            await asyncio.wait_for(rows.flush(), 20)
            await asyncio.wait_for(asyncio.gather(*(rows.put(r) for r in many)), 20)
        fresh = MongoRows(mongo_db["dashboard_requests"], mongo_db["dashboard_streams"])
        fresh_versions = [await fresh.applied(f"stream-{n}") for n in (0, 299)]
        assert fresh_versions == [2, 2]
        assert await rows.get("request-0300") == many[-1]

    async def test_versions_are_written_without_a_flush(
        self, rows: MongoRows, mongo_db: AsyncDatabase[Document]
    ) -> None:
        await rows.mark_applied("stream-b", 5)

        async def written() -> bool:
            doc = await mongo_db["dashboard_streams"].find_one({"_id": "stream-b"})
            return doc is not None and doc["version"] == 5

        await eventually(written, within=10, what="the version written behind")


class TestMongoReviewQueue(ReviewQueueContract):
    pass


class TestMongoTrackingIndex(TrackingIndexContract):
    pass


class TestMongoDataKeys(DataKeysContract):
    pass


@pytest.fixture
async def devices(mongo_db: AsyncDatabase[Document]) -> MongoDevices:
    registry = MongoDevices(mongo_db["devices"])
    await registry.ensure_indexes()
    return registry


class TestMongoDevices(DevicesContract):
    pass
