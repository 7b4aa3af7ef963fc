"""The run's report: Markdown tables (printed and written), JSON, and the machine it ran on."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deploy.benchkit.reports import write_report

from . import commands as store_commands
from . import pyspy
from .procs import Proc, log_problems
from .stats import COMPONENTS


def _ms(spread: Mapping[str, float | None]) -> str:
    return "/".join("-" if spread[p] is None else f"{spread[p]:.0f}" for p in ("p50", "p95", "p99"))


def _errors(errors: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "0"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def markdown(result: Mapping[str, Any]) -> str:
    m = result["machine"]
    steps: Sequence[Mapping[str, Any]] = result["steps"]
    inst = result["instances"]
    ceiling = result.get("ceiling") or {}
    fill = result.get("fill")
    changes = " + local changes" if m["local_changes"] else ""
    out = [
        f"# jemput pipeline benchmark, {result['date']}",
        "",
        f"- machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}; commit {m['commit']}{changes}",
        f"- stack: {result['server']} at {result['mongo_url']} (database {result['database']}), "
        f"Kafka {result['kafka_bootstrap']}, topic {result['topic']} "
        f"({result.get('topic_partitions', '?')} partition(s))",
        f"- processes: intake x{inst['intake']}, verification x{inst['verification']}, "
        f"notification x{inst['notification']}, dashboard x{inst.get('dashboard', 0)}, "
        f"relay x{inst['relay']}",
        f"- load: open loop, {result['step_seconds']} s per step, timeout {result['timeout']} s, "
        f"HTTP/1.1 pool of {result['connections']}; kinds ektp_recording, birth_certificate, "
        "skds in turn, one new applicant each, all verified under the rules in force",
        "- fill: "
        + (
            f"{fill['events']:,} events ({fill['applicants']:,} applicants) in {fill['seconds']} s "
            f"({fill['events_per_second']:,.0f}/s), check: {fill['check']}"
            if fill
            else "none (empty store)"
        ),
    ]
    if ceiling:
        rates = ", ".join(f"{w} writer(s) {r:,.0f}/s" for w, r in ceiling["rates"].items())
        out.append(
            f"- raw ceiling: insert_many of {ceiling['batch']} event-shaped documents "
            f"(~{ceiling['doc_chars']} chars), {ceiling['documents']:,} documents: {rates}"
        )
    out += ["", "## Throughput and latency", ""]
    out += _table(
        [
            "offered/s",
            "accepted/s",
            "decided/s",
            "emailed/s",
            "errors",
            "submit ms p50/p95/p99",
            "submit→email ms p50/p95/p99",
            "sender lag p99 ms",
            "drained",
        ],
        [
            [
                f"{s['offered_per_s']:g}",
                f"{s['accepted_per_s']:.1f}",
                f"{s['decided_per_s']:.1f}",
                f"{s['emailed_per_s']:.1f}",
                _errors(s["errors"]),
                _ms(s["submit_ms"]),
                _ms(s["submit_to_email_ms"]),
                s["sender_lag_ms"]["p99"],
                "yes" if s["drained"] else f"no ({s['accepted'] - s['emailed']} left)",
            ]
            for s in steps
        ],
    )
    out += ["", "## End-to-end event rate against the raw ceiling", ""]
    out += _table(
        ["offered/s", "events/request", "e2e events/s", "ceiling docs/s", "ratio"],
        [
            [
                f"{s['offered_per_s']:g}",
                s["events_per_request"],
                s["vs_ceiling"]["e2e_events_per_s"],
                s["vs_ceiling"]["ceiling_docs_per_s"],
                s["vs_ceiling"]["ratio"],
            ]
            for s in steps
        ],
    )
    present = [c for c in COMPONENTS if any(c in s["cpu"] for s in steps)]
    out += ["", "## CPU ms per accepted request (cores busy over the step and its drain)", ""]
    out += _table(
        ["offered/s", *present, "total"],
        [
            [
                f"{s['offered_per_s']:g}",
                *(
                    f"{s['cpu'][c]['ms_per_request']:.1f} ({s['cpu'][c]['cores']:.2f})"
                    if c in s["cpu"]
                    else "-"
                    for c in present
                ),
                f"{sum(v['ms_per_request'] for v in s['cpu'].values()):.1f}",
            ]
            for s in steps
        ],
    )
    budget = result.get("budget")
    if budget:
        limits = ", ".join(f"{k} {v:g}" for k, v in budget["limits"].items())
        verdict = "; ".join(budget["overruns"]) or "every step within it"
        out += ["", f"CPU budget (ms per request): {limits}: **{verdict}**."]
    out += ["", "## Peak resident memory, MiB (largest instance, sampled every second)", ""]
    out += _table(
        ["offered/s", *present],
        [
            [f"{s['offered_per_s']:g}", *(s["peak_rss_mb"].get(c, "-") for c in present)]
            for s in steps
        ],
    )
    out += [
        "",
        "Rates: accepted over the step's sending time; decided and emailed over the same "
        "time or until the step's last one, if later (so a lagging pipeline shows its real "
        "pace). Latencies run from each request's scheduled send time.",
    ]
    out += store_commands.markdown(steps)
    out += pyspy.markdown(result.get("profiles") or {}, result.get("profile_rate") or 0)
    problems: Mapping[str, Any] = result.get("log_problems", {})
    if problems:
        out += ["", "## Warnings and errors in the processes' logs", ""]
        for name, found in problems.items():
            out.append(f"- {name}: {found['count']} line(s)")
            out += [f"  - `{line[:300]}`" for line in found["first"]]
    return "\n".join(out) + "\n"


def publish(result: Mapping[str, Any], folder: Path, stem: str, repo: Path) -> list[Path]:
    """Print the Markdown; write it, the JSON and the plot to `folder`/`stem`.*."""
    text = markdown(result)
    print("\n" + text)
    plot_line = f"\n![throughput and latency]({stem}.png)\n"
    written = write_report(folder, stem, result, text + plot_line)
    paths = [written.with_name(f"{stem}.json"), written.with_name(f"{stem}.md")]
    try:
        from .plot import plot  # matplotlib: only now, not in the generator during the load

        paths.append(plot(result, folder / f"{stem}.png"))
    except Exception as exc:  # a report without its plot is still a report
        print(f"bench: no plot: {type(exc).__name__}: {exc}", file=sys.stderr)
    shown = [str(p.relative_to(repo) if p.is_relative_to(repo) else p) for p in paths]
    print("bench: wrote " + ", ".join(shown))
    return paths


def summary(
    procs: Sequence[Proc], peaks_kb: Mapping[str, int], mailbox: Any, watcher: Any
) -> dict[str, Any]:
    """What the whole run saw: each process, the emails, the topic, the logs' complaints."""
    problems = {}
    for proc in procs:
        count, first = log_problems(proc)
        if count:
            problems[proc.name] = {"count": count, "first": first}
    found: dict[str, Any] = {
        "processes": [
            {
                "name": p.name,
                "pid": p.pid,
                "port": p.port,
                "vmhwm_mb": round(peaks_kb.get(p.name, 0) / 1024, 1),
                "exit_code": p.popen.returncode if p.popen else None,
                "log": str(p.log),
            }
            for p in procs
        ],
        "emails": {
            "received": mailbox.received,
            "repeats": mailbox.repeats,
            "unmatched": mailbox.unmatched,
        },
        "log_problems": problems,
    }
    if watcher is not None:
        found["kafka"] = {
            "messages": watcher.messages,
            "repeats": watcher.repeats,
            "decisions": dict(watcher.decisions),
        }
    return found


def progress_line(step: Mapping[str, Any]) -> str:
    return (
        f"bench: step {step['offered_per_s']:g}/s: accepted {step['accepted_per_s']}/s, "
        f"decided {step['decided_per_s']}/s, emailed {step['emailed_per_s']}/s, "
        f"errors {step['errors'] or 0}, submit p99 {step['submit_ms']['p99']} ms, "
        f"submit→email p99 {step['submit_to_email_ms']['p99']} ms"
    )
