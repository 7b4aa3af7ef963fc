"""A CPU budget per request: `--budget 20` (all processes) or `--budget total=20,intake=5`.

The run fails (exit 1) when any step spends more CPU ms per accepted request than its
budget, in all or in a named component; the report lists each overrun.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from .stats import COMPONENTS

TOTAL = "total"


def parse_budget(text: str) -> dict[str, float]:
    """`20` → {"total": 20}; `total=20,intake=5` → both. Components as in the CPU table."""
    budget: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, value = part.rpartition("=")
        name = name.strip() or TOTAL
        if name != TOTAL and name not in COMPONENTS:
            known = ", ".join((TOTAL, *COMPONENTS))
            raise argparse.ArgumentTypeError(f"no component {name!r} (known: {known})")
        try:
            budget[name] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"budget for {name} is not a number") from None
        if budget[name] <= 0:
            raise argparse.ArgumentTypeError(f"budget for {name} must be positive")
    if not budget:
        raise argparse.ArgumentTypeError("an empty budget")
    return budget


def spent(step: Mapping[str, Any]) -> dict[str, float]:
    """CPU ms per accepted request, by component and in all, of one step."""
    by_component = {c: float(v["ms_per_request"]) for c, v in step["cpu"].items()}
    return {**by_component, TOTAL: sum(by_component.values())}


def overruns(steps: Sequence[Mapping[str, Any]], budget: Mapping[str, float]) -> list[str]:
    """One line per (step, component) over its budget; none when every step kept to it."""
    found = []
    for step in steps:
        used = spent(step)
        for name, limit in budget.items():
            if used.get(name, 0.0) > limit:
                found.append(
                    f"{step['offered_per_s']:g}/s: {name} {used[name]:.1f} ms/request "
                    f"> budget {limit:g}"
                )
    return found
