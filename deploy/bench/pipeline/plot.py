"""The plot: throughput and tail latency against the offered rate, in two panels."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt


def plot(result: Mapping[str, Any], path: Path) -> Path:
    steps = sorted(result["steps"], key=lambda s: s["offered_per_s"])
    offered = [s["offered_per_s"] for s in steps]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8), sharex=True)
    top.plot(offered, offered, color="0.8", linestyle="--", label="offered")
    for key, label, marker in (
        ("accepted_per_s", "accepted/s", "o"),
        ("decided_per_s", "decided/s", "s"),
        ("emailed_per_s", "emailed/s", "^"),
    ):
        top.plot(offered, [s[key] for s in steps], marker=marker, label=label)
    top.set_ylim(bottom=0)
    top.set_ylabel("requests per second")
    top.set_title("throughput")
    top.legend()
    top.grid(True, alpha=0.3)
    for key, label, marker in (
        ("submit_ms", "p99 submit", "o"),
        ("submit_to_email_ms", "p99 submit → email", "^"),
    ):
        values = [s[key]["p99"] for s in steps]
        points = [(x, v) for x, v in zip(offered, values, strict=True) if v is not None]
        if points:
            bottom.plot([x for x, _ in points], [v for _, v in points], marker=marker, label=label)
    bottom.set_yscale("log")
    bottom.set_ylabel("milliseconds (log)")
    bottom.set_xlabel("offered requests per second")
    bottom.set_title("tail latency")
    bottom.legend()
    bottom.grid(True, which="both", alpha=0.3)
    m = result["machine"]
    fig.suptitle(
        f"jemput pipeline, {result['date']}: {m['nproc']} CPUs, {m['memory_gib']} GiB, "
        f"{m['cpu_model']}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
