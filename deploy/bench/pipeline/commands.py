"""Store commands per request, by process and by command and collection.

On FerretDB each command costs the server about as much as many documents' work
(`make bench-store-ops`), so the commands a request causes are where the server's CPU
per request comes from. Every jemput process counts its own (the
`jemput_store_command_seconds` histogram, shared/observability/store_metrics.py): the
bench reads each one's /metrics before and after a step and divides the difference by
the step's accepted requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .procs import Proc

SERIES = "jemput_store_command_seconds_count"
Key = tuple[str, str, str]  # component, command, collection


async def snapshot(procs: Iterable[Proc]) -> Counter[Key]:
    """Each process's store commands so far (processes without a port or metrics: none)."""
    counts: Counter[Key] = Counter()
    async with httpx.AsyncClient(timeout=5) as http:
        for proc in procs:
            if proc.port is None:
                continue
            try:
                answer = await http.get(f"http://127.0.0.1:{proc.port}/metrics")
            except httpx.HTTPError:
                continue
            if answer.status_code != 200:
                continue
            for family in text_string_to_metric_families(answer.text):
                for sample in family.samples:
                    if sample.name == SERIES and sample.labels.get("outcome") == "ok":
                        key = (
                            proc.component,
                            sample.labels["command"],
                            sample.labels["collection"],
                        )
                        counts[key] += int(sample.value)
    return counts


def per_request(before: Counter[Key], after: Counter[Key], requests: int) -> dict[str, Any]:
    """Commands per accepted request: in all, by component, and the commonest shapes."""
    spent = after - before
    if requests <= 0:
        return {"total": None, "by_component": {}, "shapes": []}
    by_component: Counter[str] = Counter()
    for (component, _, _), n in spent.items():
        by_component[component] += n
    shapes = [
        (f"{component}: {command} {collection}", round(n / requests, 2))
        for (component, command, collection), n in spent.most_common(12)
    ]
    return {
        "total": round(sum(spent.values()) / requests, 2),
        "by_component": {c: round(n / requests, 2) for c, n in by_component.most_common()},
        "shapes": shapes,
    }


def markdown(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [s for s in steps if (s.get("store_commands") or {}).get("total") is not None]
    if not rows:
        return []
    out = ["", "## Store commands per accepted request (counted by each process)", ""]
    for step in rows:
        found = step["store_commands"]
        parts = ", ".join(f"{c} {n}" for c, n in found["by_component"].items())
        out.append(f"- {step['offered_per_s']:g}/s: **{found['total']}** in all ({parts})")
        out.append("  - " + "; ".join(f"{name} {n}" for name, n in found["shapes"][:8]))
    return out
