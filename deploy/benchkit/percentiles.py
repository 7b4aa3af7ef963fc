"""Percentiles and latency summaries, by `statistics.quantiles` (inclusive method: the
smallest and largest samples are the 0th and 100th percentiles)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (p a whole number from 1 to 99) of `values`; None for none."""
    if p != int(p) or not 1 <= p <= 99:
        raise ValueError(f"percentile {p}: give a whole number from 1 to 99")
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def latency_ms(values_ms: Sequence[float]) -> dict[str, float]:
    """n, p50/p95/p99, max and mean of latencies already in milliseconds."""
    if not values_ms:
        return {"n": 0}
    cuts = statistics.quantiles(values_ms, n=100, method="inclusive") if len(values_ms) > 1 else []

    def at(p: int) -> float:
        return round(cuts[p - 1] if cuts else values_ms[0], 3)

    return {
        "n": len(values_ms),
        "p50_ms": at(50),
        "p95_ms": at(95),
        "p99_ms": at(99),
        "max_ms": round(max(values_ms), 3),
        "mean_ms": round(statistics.fmean(values_ms), 3),
    }


def spread_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99 and max of durations in seconds, as milliseconds (None for no values)."""
    found: dict[str, float | None] = {}
    for p in (50, 95, 99):
        value = percentile(seconds, p)
        found[f"p{p}"] = None if value is None else round(value * 1000, 1)
    found["max"] = round(max(seconds) * 1000, 1) if seconds else None
    return found
