"""The ports' contracts (review queue, tracking index, data keys, dashboard rows, access
log, devices) against in-memory versions."""

from __future__ import annotations

import pytest

from services.dashboard.model import InMemoryRows
from services.intake.devices import InMemoryDevices
from services.verification.review_queue import InMemoryReviewQueue
from shared.privacy.keys import InMemoryDataKeys
from shared.repositories.access_log import InMemoryAccessLog
from shared.repositories.tracking import InMemoryTrackingIndex
from tests.contract.access_log_contract import AccessLogContract, MinuteClock
from tests.contract.dashboard_rows_contract import DashboardRowsContract
from tests.contract.data_keys_contract import DataKeysContract
from tests.contract.devices_contract import DevicesContract
from tests.contract.review_queue_contract import ReviewQueueContract
from tests.contract.tracking_index_contract import TrackingIndexContract


@pytest.fixture
def queue() -> InMemoryReviewQueue:
    return InMemoryReviewQueue()


@pytest.fixture
def data_keys() -> InMemoryDataKeys:
    return InMemoryDataKeys()


@pytest.fixture
def index() -> InMemoryTrackingIndex:
    return InMemoryTrackingIndex()


@pytest.fixture
def access_log() -> InMemoryAccessLog:
    return InMemoryAccessLog(clock=MinuteClock())


class TestInMemoryAccessLog(AccessLogContract):
    pass


@pytest.fixture
def rows() -> InMemoryRows:
    return InMemoryRows()


class TestInMemoryDashboardRows(DashboardRowsContract):
    pass


class TestInMemoryReviewQueue(ReviewQueueContract):
    pass


class TestInMemoryTrackingIndex(TrackingIndexContract):
    pass


class TestInMemoryDataKeys(DataKeysContract):
    pass


@pytest.fixture
def devices() -> InMemoryDevices:
    return InMemoryDevices()


class TestInMemoryDevices(DevicesContract):
    pass
