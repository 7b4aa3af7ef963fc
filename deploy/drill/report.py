"""The drill's table on stdout, and its results as JSON and Markdown in docs/drills/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploy.benchkit.reports import write_report

COLUMNS = (
    ("fault", "fault"),
    ("in_flight", "in flight"),
    ("sent", "sent"),
    ("accepted", "accepted"),
    ("refused", "refused (503)"),
    ("errors_or_timeouts", "cut / timed out"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("recovery_s", "recovery s (90% rate)"),
    ("caught_up_s", "all emailed s"),
    ("max_p99_ms", "max p99 ms"),
)


def table(rows: list[dict[str, Any]]) -> str:
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "| " + " | ".join("---" for _ in COLUMNS) + " |"
    body = [
        "| " + " | ".join("-" if r[k] is None else str(r[k]) for k, _ in COLUMNS) + " |"
        for r in rows
    ]
    return "\n".join([head, rule, *body])


def markdown(result: dict[str, Any]) -> str:
    s, verdict = result["check"], "PASS" if not result["check"]["violations"] else "FAIL"
    lines = [
        f"# Drill {result['run_id']} ({result['date']}): {verdict}",
        "",
        f"`{result['command']}` on {result['machine']}; steady load {result['rate']:g} "
        f"requests/s, open loop; {result['minutes']:.1f} minutes.",
        "",
        table(s["faults"]),
        "",
        f"Answers: {s['answers']}. Store: {s['store']}. Whole store verifies: "
        f"{s['verify']['ok']} ({s['verify']['events']} events, {s['verify']['streams']} streams); "
        f"the digest taken before the faults still checks: {s['digest_still_checks']}.",
        f"Email at the sink: {s['email']}. SMS at the gateway: {s['sms']}. "
        f"Dead letters: {s['dead_letters']}.",
        "",
        "Violations: " + ("none" if not s["violations"] else "; ".join(s["violations"])),
        "",
        "*in flight*: requests without an answer when the fault began; *refused*: 503 with "
        "Retry-After (shed or store down; sent again afterwards with the same request_id); "
        "*cut / timed out*: no answer (a killed process), also sent again; *lost*: accepted "
        "but never decided; *duplicated*: stored more than once; *recovery*: from the end of "
        "the fault until accepted answers per second are back to 90% of the steady rate; "
        "*all emailed*: from the end of the fault plus the settle time until every accepted "
        "request so far had its email; *max p99*: the worst per-second p99 latency of "
        "requests sent during the fault.",
    ]
    return "\n".join(lines) + "\n"


def publish(result: dict[str, Any], folder: Path, stem: str) -> None:
    write_report(folder, stem, result, markdown(result))
    print(f"drill: results in {folder / stem}.json and .md")
