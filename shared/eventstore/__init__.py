"""The append-only, tamper-evident event store: port, in-memory and MongoDB adapters."""

from shared.eventstore.chain import ChainBreak, ChainKeys, VerificationReport
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.mongo import MongoEventStore
from shared.eventstore.port import (
    ConcurrencyError,
    EventStore,
    EventStoreError,
    IdempotencyConflictError,
)

__all__ = [
    "ChainBreak",
    "ChainKeys",
    "ConcurrencyError",
    "EventStore",
    "EventStoreError",
    "IdempotencyConflictError",
    "InMemoryEventStore",
    "MongoEventStore",
    "VerificationReport",
]
