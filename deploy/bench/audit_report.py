"""The audit benchmark's report (audit_scan.py measures): each phase's figures, the median
round, the ratios to the raw scans, and the Markdown written beside the JSON."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.benchkit.reports import write_report


@dataclass
class Phase:
    key: str
    label: str
    seconds: float
    events: int
    client_cpu_s: float
    server_cpu_s: float | None
    baseline: str | None = None  # the raw scan that reads the same documents in the same order
    loadavg_1m: float = 0.0  # the machine's, as the phase ended
    server_peak_rss_mib: float | None = None  # sampled twice a second
    server_rss_start_mib: float | None = None  # what the server held as the phase began

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def cpu_s(self) -> float | None:
        """Client and server CPU seconds together (None without the server's)."""
        return None if self.server_cpu_s is None else self.client_cpu_s + self.server_cpu_s


def median_phases(rounds: list[list[Phase]]) -> list[Phase]:
    """Each measurement's median round (the lower middle one for an even number)."""
    middle = (len(rounds) - 1) // 2
    return [sorted(runs, key=lambda p: p.seconds)[middle] for runs in zip(*rounds, strict=True)]


def cpu_ratio(p: Phase, base: Phase) -> float | None:
    """Events per CPU-second (client + server) of `p` over the same of `base`."""
    if p.cpu_s is None or base.cpu_s is None or not p.cpu_s:
        return None
    return round(base.cpu_s / p.cpu_s, 3)


def phase_rows(phases: list[Phase], rounds: list[list[Phase]]) -> list[dict[str, Any]]:
    by_key = {p.key: p for p in phases}
    rows = []
    for p in phases:
        seconds = [q.seconds for phases_ in rounds for q in phases_ if q.key == p.key]
        row: dict[str, Any] = {
            "key": p.key,
            "label": p.label,
            "events": p.events,
            "seconds": round(p.seconds, 2),
            "seconds_min_max": [round(min(seconds), 2), round(max(seconds), 2)],
            "events_per_second": round(p.rate, 1),
            "client_cpu_s": round(p.client_cpu_s, 2),
            "server_cpu_s": None if p.server_cpu_s is None else round(p.server_cpu_s, 2),
            "events_per_cpu_second": None if not p.cpu_s else round(p.events / p.cpu_s, 1),
            "loadavg_1m_after": p.loadavg_1m,
            "server_rss_start_mib": p.server_rss_start_mib,
            "server_peak_rss_mib": p.server_peak_rss_mib,
        }
        if p.baseline is not None:
            base = by_key[p.baseline]
            same_round = [
                (q, next(b for b in phases_ if b.key == p.baseline))
                for phases_ in rounds
                for q in phases_
                if q.key == p.key
            ]
            walls = [round(q.rate / b.rate, 3) for q, b in same_round]
            cpus = [cpu_ratio(q, b) for q, b in same_round]
            known = [c for c in cpus if c is not None]
            row |= {
                "baseline": p.baseline,
                "baseline_events_per_second": round(base.rate, 1),
                # The median of each round's ratio: a round's two scans ran minutes apart,
                # under much the same load; medians from different rounds need not.
                "ratio": statistics.median(walls),
                "ratio_each_round": walls,
                "ratio_of_medians": round(p.rate / base.rate, 3),
                "ratio_by_cpu": statistics.median(known) if known else None,
                "ratio_by_cpu_each_round": cpus,
                "ratio_to_unsorted_scan": round(p.rate / by_key["raw_scan"].rate, 3),
            }
        rows.append(row)
    return rows


def invocation(report: dict[str, Any]) -> str:
    o = report["options"]
    words = ["deploy/bench/audit_scan.py", f"--events {o['events']}"]
    words += [f"--rounds {o['rounds']}"] if o.get("rounds", 1) != 1 else []
    words += ["--fill-through-store"] if o.get("fill_through_store") else []
    words += [f"--server-pid {o['server_pid']}"] if o.get("server_pid") else []
    return " ".join(words)


def markdown(report: dict[str, Any]) -> str:
    mach, fill, hist = report["machine"], report["fill"], report["history"]
    labels = {r["key"]: r["label"] for r in report["phases"]}
    cpu = "server CPU s" if report["server_pid"] else "server CPU s (no --server-pid)"
    lines = [
        f"# Audit scans at {report['events']:,} events",
        "",
        f"{report['date']}, `{invocation(report)}`, "
        f"{report['server']} at {report['mongo_url']} "
        f"(server: `{report['server_cmdline'] or 'pid unknown'}`).",
        f"Machine: {mach['nproc']} CPUs ({mach['cpu_model']}), {mach['memory_gib']} GiB, "
        f"Python {mach['python']}, pymongo {mach['pymongo']}, client niceness "
        f"{mach['client_niceness']}; load average {report['loadavg_start']} at start and "
        f"{report['loadavg_end']} at the end (shared machine).",
        "",
        f"Fill: {fill['events']:,} events ({fill['applicants']:,} applicants, 4 events each) "
        f"{fill['method']} in {fill['seconds']:,} s ({fill['events_per_second']:,.0f}/s)."
        if fill["seconds"] is not None
        else f"Fill: reused database {report['database']} ({report['events']:,} events).",
        "",
        (
            f"Each measurement is the median of {report['rounds']} rounds (min-max of the "
            "seconds in brackets); each ratio is the median of the rounds' ratios (in brackets)"
            if report["rounds"] > 1
            else "Each measurement ran once"
        )
        + "; load is the machine's 1-minute load average as it ended.",
        "",
        "| measurement | s | events/s | baseline | baseline events/s | ratio | client CPU s "
        f"| {cpu} | ratio by CPU | server RSS MiB: start, peak | load |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def rss(start: float | None, peak: float | None) -> str:
        if peak is None:
            return ""
        return f"{peak:,.0f}" if start is None else f"{start:,.0f}, {peak:,.0f}"

    def each(ratios: list[float | None]) -> str:
        if report["rounds"] < 2 or not ratios or None in ratios:
            return ""
        return " (rounds: " + ", ".join(f"{x:.2f}" for x in ratios if x is not None) + ")"

    for r in report["phases"]:
        base = r.get("baseline")
        lo, hi = r["seconds_min_max"]
        spread = f" ({lo:,.1f}-{hi:,.1f})" if report["rounds"] > 1 else ""
        lines.append(
            f"| {r['label']} | {r['seconds']:,.2f}{spread} | {r['events_per_second']:,.0f} | "
            + (
                f"{labels[base]} | {r['baseline_events_per_second']:,.0f} | {r['ratio']:.2f}"
                + each(r["ratio_each_round"])
                + " | "
                if base
                else "(raw) | | | "
            )
            + f"{r['client_cpu_s']:,.1f} | "
            + ("" if r["server_cpu_s"] is None else f"{r['server_cpu_s']:,.1f}")
            + " | "
            + ("" if r.get("ratio_by_cpu") is None else f"{r['ratio_by_cpu']:.2f}")
            + each(r.get("ratio_by_cpu_each_round", []))
            + " | "
            + rss(r.get("server_rss_start_mib"), r.get("server_peak_rss_mib"))
            + f" | {r['loadavg_1m_after']:.2f} |"
        )
    cpu_ms = hist["client_cpu_ms_mean"]
    reads = [
        ("read_stream", "`read_stream` (fresh store, no cache): 4 events"),
        ("raw_find_one", "baseline: raw `find_one({_id})`: 1 event"),
        ("raw_find_in", f"raw `find({{_id: {{$in: {hist['read_ahead']} keys}}}})`: 4 events"),
    ]
    lines += [
        "",
        f"Applicant history: {hist['samples']:,} random applicants one at a time (after "
        f"{hist['warm_up']} warm-up reads), each beside the two raw reads of other random "
        "applicants (the last row is the command `read_stream` sends, without the store):",
        "",
        "| read | p50 ms | p95 ms | p99 ms | max ms | mean ms | client CPU ms (mean) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in reads:
        r = hist[key]
        lines.append(
            f"| {label} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['max_ms']:.2f} | {r['mean_ms']:.2f} | {cpu_ms[key]:.2f} |"
        )
    lines += [
        f"| ratio `read_stream` / `find_one` | {hist['ratio_p50']:.2f} | "
        f"{hist['ratio_p95']:.2f} | {hist['ratio_p99']:.2f} | | | |",
        "",
        "Ratio: events/s of the measurement over events/s of the raw scan that reads the same "
        "documents in the same order (verify and digest walk `raw_documents`, by stream and "
        "version; rebuild walks `read_all`, by position); for history reads, latency over "
        "the raw `find_one` latency. CPU seconds are over the whole phase; the client is "
        "this Python process. Ratio by CPU: events per CPU-second (client + server) of the "
        "measurement over the same of its raw scan, i.e. what the work costs beyond the scan "
        "whatever else the machine runs (wall-clock ratios on a loaded machine are noisy).",
        "",
    ]
    return "\n".join(lines)


def rewrite(path: Path) -> None:
    """Derive a saved report's figures and Markdown again from its rounds."""
    report = json.loads(path.read_text())
    rounds = [[Phase(**d) for d in phases_] for phases_ in report["all_rounds"]]
    report["phases"] = phase_rows(median_phases(rounds), rounds)
    print(f"wrote {write(path.parent, report)}.json and .md")


def write(out: Path, report: dict[str, Any]) -> Path:
    return write_report(out, f"audit-{report['date']}-{report['events']}", report, markdown(report))
