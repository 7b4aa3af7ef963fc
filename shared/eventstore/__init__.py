"""The append-only, tamper-evident event store (store.py) on a recorder: in memory
(memory.py) or MongoDB (mongo.py).

Importing the package does not import pymongo: in-memory users (the unit tier, tools)
need no driver. `MongoRecorder` is loaded on first use of the name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.eventstore.chain import ChainBreak, ChainKeys, VerificationReport
from shared.eventstore.errors import ConcurrencyError, EventStoreError, IdempotencyConflictError
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.recorder import Recorder
from shared.eventstore.store import EventStore

if TYPE_CHECKING:
    from shared.eventstore.mongo import MongoRecorder

__all__ = [
    "ChainBreak",
    "ChainKeys",
    "ConcurrencyError",
    "EventStore",
    "EventStoreError",
    "IdempotencyConflictError",
    "InMemoryRecorder",
    "MongoRecorder",
    "Recorder",
    "VerificationReport",
]


def __getattr__(name: str) -> object:
    if name == "MongoRecorder":
        from shared.eventstore.mongo import MongoRecorder

        return MongoRecorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
