"""The store-sizes benchmark's figures and report (store_sizes.py measures): what each
measurement holds, the table by size and server, and the Markdown around it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

FILL_BATCH = 1000
FIND_ONE_READS = 1000
IN_KEYS = 50
IN_QUERIES = 200
UPDATES = 200
DELETES = 100
INSERT_ONES = 1000
INSERT_MANY_BATCH = 100
INSERT_MANY_BATCHES = 10

# (key, label in the table, unit) in table order
ROWS: list[tuple[str, str, str]] = [
    ("grow", "grow to size: insert_many 1000/command", "docs/s"),
    ("find_one", "find_one({_id})", "ms"),
    ("find_in", f"find({{_id: {{$in: {IN_KEYS} ids}}}})", "ms"),
    ("update_one", "update_one({_id}, {$set})", "ms"),
    ("delete_one", "delete_one({_id})", "ms"),
    ("insert_one", "insert_one, 1 client", "docs/s"),
    ("insert_many", f"insert_many {INSERT_MANY_BATCH}/command", "docs/s"),
]


class Server(Protocol):
    """A measured server, as the table names it."""

    @property
    def label(self) -> str: ...
    @property
    def max_size(self) -> int | None: ...


@dataclass
class Measurement:
    commands: int  # commands run (fewer than planned when --budget cut it short)
    planned: int
    docs: int  # documents written or read by them
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_command: float | None

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds else math.nan


@dataclass
class SizeResult:
    server: str
    size: int
    docs_before_reads: int
    plan_find_one: str
    plan_find_in: str
    measurements: dict[str, Measurement] = field(default_factory=dict)


def fmt(value: float | None, digits: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def cells(m: Measurement | None, key: str, unit: str) -> tuple[str, str]:
    """(figure, server CPU ms per command) for one table cell pair."""
    if m is None:
        return "", ""
    short = "" if m.commands == m.planned else f" (n={m.commands})"
    cpu = fmt(m.cpu_ms_per_command, 2)
    if unit == "docs/s":
        return fmt(m.docs_per_s, 0) + short, cpu
    digits = 1 if m.p50_ms >= 100 else 2
    if key == "delete_one":
        return f"{fmt(m.p50_ms, digits)}{short}", cpu
    return f"{fmt(m.p50_ms, digits)} / {fmt(m.p99_ms, digits)}{short}", cpu


def human(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def table(results: list[SizeResult], targets: Sequence[Server], sizes: list[int]) -> str:
    by_key = {(r.server, r.size): r for r in results}
    columns = [(t, s) for s in sizes for t in targets]
    head = "| measurement | unit | " + " | ".join(f"{human(s)} {t.label}" for t, s in columns)
    lines = [head + " |", "|---|---|" + "---:|" * len(columns)]
    for key, label, unit in ROWS:
        shown_unit = "p50 ms" if key == "delete_one" else unit
        shown_unit = "p50 / p99 ms" if shown_unit == "ms" else shown_unit
        figures, cpus = [], []
        for t, s in columns:
            r = by_key.get((t.label, s))
            if r is None:
                figures.append(skipped_note(t, s, results, key))
                cpus.append("")
                continue
            figure, cpu = cells(r.measurements.get(key), key, unit)
            figures.append(figure)
            cpus.append(cpu)
        lines.append(f"| {label} | {shown_unit} | " + " | ".join(figures) + " |")
        lines.append("| ↳ server CPU | ms/command | " + " | ".join(cpus) + " |")
    for name, attr in (
        ("find_one({_id})", "plan_find_one"),
        ("find({_id: {$in}})", "plan_find_in"),
    ):
        plans = []
        for t, s in columns:
            r = by_key.get((t.label, s))
            plans.append(short_plan(getattr(r, attr)) if r else "")
        lines.append(f"| plan of {name} | explain | " + " | ".join(plans) + " |")
    return "\n".join(lines)


def short_plan(plan: str) -> str:
    """SQLite's plan, shortened: the full text is in the JSON."""
    if "USING INDEX" in plan and "__id_" in plan:
        return "SEARCH, _id index"
    if plan.startswith("SCAN"):
        return "SCAN (whole table)"
    return plan


def skipped_note(target: Server, size: int, results: list[SizeResult], key: str) -> str:
    """What a size past --baseline-max-size would cost, from the largest size measured."""
    done = [r for r in results if r.server == target.label]
    if not done or key not in ("find_one", "update_one", "delete_one", "find_in"):
        return "not measured"
    last = max(done, key=lambda r: r.size)
    m = last.measurements[key]
    scans = "SCAN" in last.plan_find_one and "USING INDEX" not in last.plan_find_one
    if not scans:
        return "not measured"
    estimate = m.p50_ms * size / last.size
    return f"not measured: scans, ~{estimate / 1000:,.1f} s each (p50 x {size // last.size})"


def markdown(report: dict[str, Any], body: str) -> str:
    mach = report["machine"]
    servers = "\n".join(
        f"- **{s['label']}**: {s['url']} (pid {s['server_pid']}: `{s['server_cmdline']}`), "
        f"reports MongoDB {s['reports_mongodb_version']}"
        + (f"; measured up to {s['max_size']:,} documents" if s["max_size"] else "")
        for s in report["servers"]
    )
    sizes = ", ".join(f"{s:,}" for s in report["sizes"])
    return f"""# Event store sizes: `_id` operations at {sizes} documents

{report["date"]}, `deploy/bench/store_sizes.py`, {report["document_bson_bytes"]}-byte documents
with unique indexes on `event_id` and `position` and one on (`stream_id`, `version`).
Machine: {mach["nproc"]} CPUs ({mach["cpu_model"]}), {mach["memory_gib"]} GiB, load average
{report["loadavg_start"]} at start and {report["loadavg_end"]} at the end (shared machine; the
client ran at niceness {mach["client_niceness"]}).

{servers}

Latencies are client-side (Python, AsyncMongoClient), p50 / p99 over {FIND_ONE_READS} find_one,
{IN_QUERIES} `$in` finds, {UPDATES} updates; delete_one p50 over {DELETES}. "(n=…)" marks a
measurement cut short by the {report["budget_seconds"]:.0f} s budget. Server CPU is the server
process's utime+stime over the measurement, per command (insert_many: per command of
{INSERT_MANY_BATCH} or {FILL_BATCH} documents). Reads, updates and deletes run at exactly the
size; the inserts after them add {INSERT_ONES + INSERT_MANY_BATCH * INSERT_MANY_BATCHES:,}
documents that count toward the next size.

{body}
"""
