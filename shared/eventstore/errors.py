"""The event store's errors. Messages name streams and ids, never payloads."""

from __future__ import annotations

import sys


def store_unavailable(exc: BaseException) -> bool:
    """Whether the store could not be reached or did not answer in time (not a bug: worth
    a retry later), as opposed to an error in what was asked.

    Without importing the MongoDB driver (in-memory users of the store need none): if it
    was never loaded, no error can have come from it."""
    errors = sys.modules.get("pymongo.errors")
    if errors is None:
        return False
    if isinstance(exc, errors.ConnectionFailure):
        return True
    return isinstance(exc, errors.PyMongoError) and bool(exc.timeout)


class EventStoreError(Exception):
    """Base of the store's own errors. Messages name streams and ids, never payloads."""


class ConcurrencyError(EventStoreError):
    """Another writer appended to the stream first: reload it and decide again."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id}: expected version {expected_version}, "
            f"but it is at {actual_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class IdempotencyConflictError(EventStoreError):
    """An event id that is already stored arrived again with different content."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is already stored with different content")
        self.event_id = event_id


class DuplicateKeyAt(Exception):
    """Raised by a recorder's `insert`: documents before `index` were written, that one was not."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _PositionTaken(Exception):
    """The clash was on the global position: draw another one."""
