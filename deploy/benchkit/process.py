"""A process's CPU time and memory through psutil: the server a bench measures, or one of
the processes the pipeline bench and the drill start."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import psutil


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process, all its threads (None: no such process)."""
    if pid is None:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.Error, ValueError):
        return None
    return float(times.user + times.system)


def memory_kib(pid: int | None) -> dict[str, int]:
    """{"VmRSS": resident KiB, "VmHWM": peak resident KiB}, as far as the OS tells them."""
    if pid is None:
        return {}
    try:
        info = psutil.Process(pid).memory_info()
    except (psutil.Error, ValueError):
        return {}
    found = {"VmRSS": info.rss // 1024}
    with contextlib.suppress(OSError, ValueError):  # the peak is Linux-only: /proc
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                found["VmHWM"] = int(line.split()[1])
    return found


def rss_mib(pid: int | None) -> float | None:
    kib = memory_kib(pid).get("VmRSS")
    return None if kib is None else kib / 1024


def cmdline(pid: int | None) -> str | None:
    if pid is None:
        return None
    try:
        return " ".join(psutil.Process(pid).cmdline()) or None
    except (psutil.Error, ValueError):
        return None


class ServerProcess:
    """The server a bench runs against, when it is local and its pid is known: CPU per
    phase, resident memory, its command line. Every reading is None without a pid."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid

    def seconds(self) -> float | None:
        return cpu_seconds(self.pid)

    def rss_mib(self) -> float | None:
        return rss_mib(self.pid)

    def cmdline(self) -> str | None:
        return cmdline(self.pid)

    async def peak_rss(self, peak: list[float], interval: float = 0.5) -> None:
        """Keep the largest resident size seen in `peak[0]` until cancelled."""
        while True:
            rss = self.rss_mib()
            if rss is not None and rss > peak[0]:
                peak[0] = rss
            await asyncio.sleep(interval)
