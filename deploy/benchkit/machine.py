"""The machine a run was on, and how loaded it was: reports name both, since figures
from a shared, loaded machine mean little without them."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pymongo


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux; psutil does not report it)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{x:.2f}" for x in psutil.getloadavg())


def machine(repo: Path | None = None) -> dict[str, Any]:
    """CPUs, memory, versions and this process's niceness; with `repo`, its git commit."""
    found: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpus": psutil.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pymongo": pymongo.version,
        "client_niceness": os.nice(0),
    }
    if repo is not None:
        found["commit"] = git(repo, "rev-parse", "--short", "HEAD")
        found["local_changes"] = bool(git(repo, "status", "--porcelain", "--untracked-files=no"))
    return found


def git(repo: Path, *args: str) -> str:
    """A read-only git query's output ("" without git or outside a clone)."""
    found = shutil.which("git")
    if found is None:
        return ""
    try:
        done = subprocess.run(  # noqa: S603 (fixed read-only git queries)
            [found, *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def server_name(info: dict[str, Any], repo: Path | None = None) -> str:
    """ "MongoDB 7.0.x" or "FerretDB v1.24.2, MongoDB 7.0.x wire" from `server_info()`.
    Our FerretDB launcher reports "unknown": with `repo`, its go.mod names the version."""
    wire = f"MongoDB {info.get('version')}"
    if "ferretdbVersion" not in info:
        return wire
    version = info["ferretdbVersion"]
    if version == "unknown" and repo is not None:
        go_mod = repo / "deploy" / "local" / "ferretdb" / "go.mod"
        for line in go_mod.read_text().splitlines():
            if "github.com/FerretDB/FerretDB " in line:
                version = f"{line.split()[-1]} (launcher's go.mod)"
    return f"FerretDB {version}, {wire} wire"
