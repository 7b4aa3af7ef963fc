"""Store commands as metrics: how many each process sends and how long they take.

Commands, not bytes, are what a MongoDB-wire server charges for (docs/adr/0003), so the
count and time per command and collection are the first thing to look at when the
pipeline slows down. Labels are command and collection names only: never a filter value.
"""

from __future__ import annotations

from prometheus_client import Histogram
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

STORE_COMMANDS = Histogram(
    "jemput_store_command_seconds",
    "Commands sent to the MongoDB-wire server, by command and collection",
    ["command", "collection", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IGNORED = {"hello", "isMaster", "ismaster", "ping", "endSessions", "saslStart", "saslContinue"}


class StoreCommandMetrics(CommandListener):
    def __init__(self) -> None:
        self._collections: dict[int, str] = {}

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name not in IGNORED:
            target = event.command.get(event.command_name)
            self._collections[event.request_id] = target if isinstance(target, str) else ""

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self._observe(event.request_id, event.command_name, event.duration_micros, "ok")

    def failed(self, event: CommandFailedEvent) -> None:
        self._observe(event.request_id, event.command_name, event.duration_micros, "error")

    def _observe(self, request_id: int, command: str, micros: int, outcome: str) -> None:
        collection = self._collections.pop(request_id, None)
        if collection is not None:
            STORE_COMMANDS.labels(command, collection, outcome).observe(micros / 1e6)
