"""The capacity plan's tables (docs/capacity.md), computed from the measured figures in
docs/bench/: `python deploy/capacity/plan.py` prints them, `--write` puts them in
docs/capacity.md between its markers. tests/unit/test_capacity_plan.py checks that the
document says what the script computes from the results there.

What is measured and what is assumed is named in the output; assumptions are constants
here, each with its reason. Run again after a new `make bench-pipeline`, `make
bench-audit-1m` or store-size measurement: the latest results are read.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "docs/bench"
DOC = ROOT / "docs/capacity.md"
BEGIN, END = "<!-- capacity:begin -->", "<!-- capacity:end -->"

SERVICES = ("intake", "verification", "notification", "relay")
CONSUMERS = ("verification", "notification")  # one group each on the events topic
DESIGN_RATE = 50.0  # requests/s a pod is sized for (docs/kubernetes.md)
# Assumptions, not measurements (each says why):
HPA_TARGET = 0.7  # the autoscaler's CPU target: pods run at 70 % of their request
POD_CPU = {"intake": 0.3, "verification": 0.2, "notification": 0.3, "relay": 0.05}  # chart
MIN_PODS = 2  # availability: a drain or a crash never takes a service away
PARTITION_STEPS = (4, 12, 24, 48, 96, 192, 384)  # divisible choices; grow before needed
KAFKA_REPLICATION = 3
# Requests arrive in office hours: 8 a day, 5 days a week, 250 days a year. Kafka keeps a
# week (its default; consumers can always be rebuilt from the log).
BUSY_HOURS_PER_WEEK = 8 * 5
BUSY_HOURS_PER_YEAR = 8 * 250
OTHER_DOCS_PER_REQUEST = 3  # tracking code, the applicant's data keys, the dashboard row
OTHER_DOC_BYTES = 400  # those are small: ids, a wrapped key, counters
INDEX_OVERHEAD = 1.5  # three indexes on events (event_id, position, stream+version)
SHARD_BYTES = 2 * 10**12  # 2 TB a shard: backups and resyncs stay within hours
SHARD_COMMANDS_PER_S = 5_000  # a replica set primary's write commands (not measured here)


@dataclass(frozen=True)
class Figures:
    """What docs/bench measured, with where from."""

    source: str
    cpu_ms: dict[str, float]  # CPU ms per accepted request, per process
    store_cpu_ms: float  # the store server's CPU ms per request
    store_ms_per_command: float  # the store server's CPU ms per single-document command
    events_per_request: float
    event_bytes: int  # one event document (JSON on Kafka about the same)
    verify_events_per_s: float
    box_rate: float  # the highest offered rate one box drained with p99 submit->email < 5 s


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _latest(bench: Path, pattern: str) -> list[Path]:
    """The results of the newest date among files matching `pattern`."""
    found = sorted(bench.glob(pattern), key=lambda p: re.findall(r"\d{4}-\d{2}-\d{2}", p.name))
    if not found:
        raise FileNotFoundError(f"no {pattern} in {bench}")
    newest = re.findall(r"\d{4}-\d{2}-\d{2}", found[-1].name)
    return [p for p in found if re.findall(r"\d{4}-\d{2}-\d{2}", p.name) == newest]


def pipeline_runs(bench: Path = BENCH) -> list[tuple[Path, dict[str, Any]]]:
    """The newest date's pipeline runs."""
    return [(p, _json(p)) for p in _latest(bench, "pipeline-*.json")]


def design_run(bench: Path = BENCH) -> tuple[Path, dict[str, Any]]:
    """The newest pipeline run on the fullest store (the most like production); of equals,
    the one with the fewest instances (a pod's cost is one process's)."""

    def likeness(run: tuple[Path, dict[str, Any]]) -> tuple[int, int]:
        fill = (run[1].get("fill") or {}).get("events", 0)
        return fill, -max((run[1].get("instances") or {"intake": 1}).values())

    return max(pipeline_runs(bench), key=likeness)


def measured(bench: Path = BENCH) -> Figures:
    # The run on the fullest store, its step at the design rate.
    runs = pipeline_runs(bench)
    path, run = design_run(bench)
    step = min(run["steps"], key=lambda s: abs(s["offered_per_s"] - DESIGN_RATE))
    drained = [
        s["offered_per_s"]
        for _, r in runs
        for s in r["steps"]
        if s["drained"] and s["submit_to_email_ms"]["p99"] < 5_000
    ]
    sizes_path = _latest(bench, "store-sizes-*.json")[-1]
    sizes = _json(sizes_path)
    largest = max(r["size"] for r in sizes["results"] if r["server"] == "patched")
    at_size = next(
        r for r in sizes["results"] if r["server"] == "patched" and r["size"] == largest
    )["measurements"]
    per_command = [at_size[k]["cpu_ms_per_command"] for k in ("find_one", "insert_one")]
    audit = max((_json(p) for p in _latest(bench, "audit-*.json")), key=lambda a: int(a["events"]))
    verify = next(p for p in audit["phases"] if p["key"] == "verify")
    return Figures(
        source=f"{path.name} (step {step['offered_per_s']:g}/s), "
        f"{sizes_path.name}, audit at {int(audit['events']):,} events",
        cpu_ms={s: step["cpu"][s]["ms_per_request"] for s in SERVICES},
        store_cpu_ms=step["cpu"]["ferretdb"]["ms_per_request"],
        store_ms_per_command=sum(per_command) / len(per_command),
        events_per_request=step["events_per_request"],
        # The run's own event size, or that of a run of the same day that measured it.
        event_bytes=int(
            next(r["ceiling"] for r in (run, *(r for _, r in runs)) if r.get("ceiling"))[
                "doc_chars"
            ]
        ),
        verify_events_per_s=float(verify["events_per_second"]),
        box_rate=max(drained),
    )


@dataclass(frozen=True)
class Scale:
    name: str
    average: float  # requests/s over office hours
    peak: float


# The city's average and peak are given; the others' averages keep its ratio (1 to 50).
SCALES = (
    Scale("city", 1, 50),
    Scale("province", 2, 100),
    Scale("national", 20, 1_000),
    Scale("national, peak 10,000/s", 200, 10_000),
)


def pods(f: Figures, service: str, rate: float) -> int:
    per_pod = HPA_TARGET * POD_CPU[service] * 1000 / f.cpu_ms[service]  # requests/s
    if service == "relay":
        return 1  # one sweeps the outbox; writers publish their own
    return max(MIN_PODS, math.ceil(rate / per_pod))


def partitions(f: Figures, rate: float) -> int:
    need = 2 * max(pods(f, s, rate) for s in CONSUMERS)  # room to double without a resize
    # Past the steps, the next multiple of the largest: never fewer than the consumers.
    step = PARTITION_STEPS[-1]
    return next((p for p in PARTITION_STEPS if p >= need), math.ceil(need / step) * step)


def row(f: Figures, s: Scale) -> dict[str, str]:
    commands = f.store_cpu_ms / f.store_ms_per_command  # per request
    docs = f.events_per_request + OTHER_DOCS_PER_REQUEST
    bytes_per_request = (
        f.events_per_request * f.event_bytes + OTHER_DOCS_PER_REQUEST * OTHER_DOC_BYTES
    ) * INDEX_OVERHEAD
    yearly = s.average * 3600 * BUSY_HOURS_PER_YEAR
    store_bytes = yearly * bytes_per_request
    kafka_bytes = (
        s.average
        * 3600
        * BUSY_HOURS_PER_WEEK
        * f.events_per_request
        * f.event_bytes
        * KAFKA_REPLICATION
    )
    shards = max(
        math.ceil(store_bytes / SHARD_BYTES), math.ceil(s.peak * commands / SHARD_COMMANDS_PER_S)
    )
    verify_hours = yearly * f.events_per_request / f.verify_events_per_s / 3600
    return {
        "scale": s.name,
        "avg/peak req/s": f"{s.average:g} / {s.peak:,.0f}",
        **{s_: str(pods(f, s_, s.peak)) for s_ in SERVICES},
        "partitions": str(partitions(f, s.peak)),
        "events/s at peak": f"{s.peak * f.events_per_request:,.0f}",
        "Kafka MB/s in, x3": f"{s.peak * f.events_per_request * f.event_bytes * 3 / 1e6:,.1f}",
        "Kafka disk, a week": _size(kafka_bytes),
        "store commands/s": f"{s.peak * commands:,.0f}",
        "store docs/year": f"{yearly * docs / 1e6:,.0f} M",
        "store size/year": _size(store_bytes),
        "shards": str(shards),
        "verify 1 year (h)": f"{verify_hours:,.1f}",
    }


def _size(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def tables(f: Figures) -> str:
    rows = [row(f, s) for s in SCALES]
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r[h] for h in head) + " |" for r in rows]
    cpu = ", ".join(f"{s} {f.cpu_ms[s]:g}" for s in SERVICES)
    inputs = [
        f"Measured ({f.source}): CPU ms per request {cpu}; the store "
        f"{f.store_cpu_ms:g} ms per request at {f.store_ms_per_command:.2f} ms per "
        f"command (~{f.store_cpu_ms / f.store_ms_per_command:.0f} commands per request); "
        f"{f.events_per_request:g} events per request of ~{f.event_bytes:,} bytes; whole-store "
        f"verify {f.verify_events_per_s:,.0f} events/s; one box (2 cores) drains up to "
        f"{f.box_rate:g} requests/s.",
    ]
    return "\n".join([*inputs, "", *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {DOC.name}")
    args = parser.parse_args()
    text = tables(measured())
    if not args.write:
        print(text)
        return
    doc = DOC.read_text()
    before, rest = doc.split(BEGIN, 1)
    DOC.write_text(f"{before}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    main()
