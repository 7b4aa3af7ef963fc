"""The review queue and tracking index contracts against the real MongoDB-wire server."""

from __future__ import annotations

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.verification.review_queue import ReviewQueue
from shared.eventstore.recorder import Document
from shared.tracking import MongoTrackingIndex
from tests.contract.review_queue_contract import ReviewQueueContract
from tests.contract.tracking_index_contract import TrackingIndexContract


@pytest.fixture
def queue(mongo_db: AsyncDatabase[Document]) -> ReviewQueue:
    return ReviewQueue(mongo_db["review_queue"])


@pytest.fixture
def index(mongo_db: AsyncDatabase[Document]) -> MongoTrackingIndex:
    return MongoTrackingIndex(mongo_db["tracking_codes"])


class TestMongoReviewQueue(ReviewQueueContract):
    pass


class TestMongoTrackingIndex(TrackingIndexContract):
    pass
