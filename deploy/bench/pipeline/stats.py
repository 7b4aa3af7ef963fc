"""One step's numbers, from what the load generator, the mailbox and the watcher saw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploy.benchkit.percentiles import spread_ms

from .load import Sent
from .mailbox import Mailbox
from .procs import Proc
from .watcher import EventWatcher

COMPONENTS = (
    "intake",
    "verification",
    "notification",
    "dashboard",
    "relay",
    "ferretdb",
    "kafka",
    "bench",
    "smtp-sink",
)


@dataclass
class Window:
    """When a step ran: its first scheduled send, how long sending took, when it ended."""

    rate: float
    start: float
    seconds: float
    end: float  # after the drain
    drained: bool
    drain_seconds: float


def step_result(
    window: Window,
    sent: Sequence[Sent],
    mailbox: Mailbox,
    watcher: EventWatcher,
    cpu_before: Mapping[str, float],
    cpu_after: Mapping[str, float],
    procs: Sequence[Proc],
) -> dict[str, Any]:
    accepted = [s for s in sent if s.accepted]
    errors: Counter[str] = Counter()
    for s in sent:
        if s.error is not None:
            errors[s.error] += 1
        elif s.status is not None and not s.accepted:
            errors[f"http_{s.status}"] += 1
    decided = [t for s in accepted if (t := watcher.decided_at.get(s.request_id)) is not None]
    arrivals = [
        (s, t) for s in accepted if (t := mailbox.arrival(s.tracking_code, s.index)) is not None
    ]
    events = sum(watcher.events.get(s.request_id, 0) for s in accepted)

    def per_second(count: int, last: float | None) -> float:
        span = max(window.seconds, (last - window.start) if last is not None else 0.0)
        return round(count / span, 2) if span > 0 else 0.0

    wall = window.end - window.start
    cpu: dict[str, dict[str, float]] = {}
    by_process: dict[str, float] = {}
    for proc in procs:
        if proc.name in cpu_before and proc.name in cpu_after:
            used = cpu_after[proc.name] - cpu_before[proc.name]
            by_process[proc.name] = round(used, 3)
            entry = cpu.setdefault(proc.component, {"seconds": 0.0})
            entry["seconds"] += used
    for entry in cpu.values():
        entry["ms_per_request"] = round(1000 * entry["seconds"] / max(len(accepted), 1), 2)
        entry["cores"] = round(entry["seconds"] / wall, 3) if wall > 0 else 0.0
        entry["seconds"] = round(entry["seconds"], 2)
    rss: dict[str, float] = {}
    for proc in procs:
        rss[proc.component] = max(rss.get(proc.component, 0.0), round(proc.peak_rss_kb / 1024, 1))
    return {
        "offered_per_s": window.rate,
        "seconds": round(window.seconds, 2),
        "sent": len(sent),
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / window.seconds, 2),
        "decided": len(decided),
        "decided_per_s": per_second(len(decided), max(decided, default=None)),
        "emailed": len(arrivals),
        "emailed_per_s": per_second(len(arrivals), max((t for _, t in arrivals), default=None)),
        "errors": dict(errors),
        "submit_ms": spread_ms([lat for s in accepted if (lat := s.latency) is not None]),
        "submit_to_decision_ms": spread_ms(
            [
                t - s.scheduled
                for s in accepted
                if (t := watcher.decided_at.get(s.request_id)) is not None
            ]
        ),
        "submit_to_email_ms": spread_ms([t - s.scheduled for s, t in arrivals]),
        "sender_lag_ms": spread_ms([s.lag for s in sent]),
        "events_per_request": round(events / len(accepted), 2) if accepted else None,
        "drained": window.drained,
        "drain_seconds": round(window.drain_seconds, 1),
        "cpu": cpu,
        "cpu_seconds_by_process": by_process,
        "peak_rss_mb": rss,
    }


def ceiling_ratio(step: Mapping[str, Any], ceiling_best: float | None) -> dict[str, Any]:
    """The pipeline's end-to-end event rate (events per request x emailed/s) vs the ceiling."""
    per_request = step.get("events_per_request") or 0.0
    rate = per_request * step["emailed_per_s"]
    return {
        "e2e_events_per_s": round(rate, 1),
        "ceiling_docs_per_s": ceiling_best,
        "ratio": round(rate / ceiling_best, 4) if ceiling_best else None,
    }
