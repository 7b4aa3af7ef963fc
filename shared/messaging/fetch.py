"""How long a consumer's fetch waits for events to gather (no Kafka client imported:
settings name it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fetch:
    """What a fetch from the broker waits for: `min_bytes`, or `max_wait_ms` at most.
    Kafka's defaults (1 byte) answer with the first event: at moderate rates each batch
    then carries one event and costs its own store commands."""

    min_bytes: int = 1
    max_wait_ms: int = 500
