"""Where each process's CPU goes: py-spy samples jemput's processes during one step.

`--profile RATE` records every jemput process (not the stack's) with `py-spy record
--nonblocking` (the process is not paused, so the step's figures stay honest) while the
step at RATE sends. The raw stacks are kept beside the logs (`<name>.pyspy.txt`: open
them in speedscope or flamegraph.pl) and summed up per process: the share of samples by
package (where the time is spent) and the functions with the most samples inside them.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .procs import Proc

STACK_COMPONENTS = {"ferretdb", "kafka", "bench", "smtp-sink"}  # not Python, or not ours
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*)\)$")
# Which package a file is in, by the path py-spy shows (shortened to the package part).
AREAS = (
    ("jemput", ("shared/", "services/")),
    ("asyncio", ("asyncio/", "selectors.py", "uvloop/")),
    ("json", ("json/", "orjson")),
)


def py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


@dataclass
class Recording:
    proc: Proc
    path: Path
    popen: subprocess.Popen[bytes]


def start(procs: Iterable[Proc], seconds: float, folder: Path) -> list[Recording]:
    """Start one py-spy per jemput process, for `seconds`; none when py-spy is missing."""
    binary = py_spy()
    if binary is None:
        print("bench: no py-spy (uv sync --group bench): no profiles")
        return []
    recordings = []
    for proc in procs:
        if proc.component in STACK_COMPONENTS:
            continue
        path = folder / f"{proc.name}.pyspy.txt"
        argv = [binary, "record", "--pid", str(proc.pid), "--duration", f"{max(1, round(seconds))}"]
        argv += ["--rate", "200", "--format", "raw", "--function", "--gil", "--nonblocking"]
        argv += ["--output", str(path)]
        popen = subprocess.Popen(  # noqa: S603 (py-spy from our own environment)
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        recordings.append(Recording(proc, path, popen))
    return recordings


def finish(recordings: Sequence[Recording], top: int = 12) -> dict[str, Any]:
    """Wait for every recording; each process's summary (see `summarise`)."""
    profiles: dict[str, Any] = {}
    for rec in recordings:
        try:
            _, err = rec.popen.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            rec.popen.kill()
            err = b"timed out"
        if rec.popen.returncode != 0 or not rec.path.exists():
            message = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            profiles[rec.proc.name] = {"error": message[0][:200]}
            continue
        with rec.path.open(encoding="utf-8", errors="replace") as lines:
            profiles[rec.proc.name] = {"raw": str(rec.path), **summarise(lines, top)}
    return profiles


def summarise(lines: Iterable[str], top: int = 12) -> dict[str, Any]:
    """From py-spy's raw lines (`frame;frame;... count`, outermost first): the samples, their
    share by area (the package of the innermost frame of ours or a library's) and the
    functions that most samples pass through (inclusive) or end in (self)."""
    samples = 0
    areas: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        with contextlib.suppress(ValueError):
            count = int(count_text)
            frames = [f for f in stack.split(";") if f]
            if not frames:
                continue
            samples += count
            names = [_name(f) for f in frames]
            for name in set(names):
                inclusive[name] += count
            own[names[-1]] += count
            areas[_area(frames[-1])] += count
    if samples == 0:
        return {"samples": 0, "areas": {}, "inclusive": [], "self": []}

    def share(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / samples, 1)) for k, v in counter.most_common(n)]

    ours = Counter({k: v for k, v in inclusive.items() if "<module>" not in k})
    return {
        "samples": samples,
        "areas": dict(share(areas, 10)),
        "inclusive": share(ours, top),
        "self": share(own, top),
    }


def _name(frame: str) -> str:
    found = FRAME.match(frame)
    if not found:
        return frame
    return f"{found['function']} ({found['file']})"


def _area(frame: str) -> str:
    found = FRAME.match(frame)
    file = found["file"] if found else frame
    for area, marks in AREAS:
        if any(mark in file for mark in marks):
            return area
    top = file.split("/", 1)[0].removesuffix(".py")
    return top or "?"


def markdown(profiles: Mapping[str, Any], rate: float) -> list[str]:
    if not profiles:
        return []
    out = ["", f"## Where the CPU goes at {rate:g}/s (py-spy, % of each process's samples)", ""]
    for name, found in profiles.items():
        if "error" in found:
            out.append(f"- {name}: no profile ({found['error']})")
            continue
        areas = ", ".join(f"{k} {v}" for k, v in found["areas"].items())
        out.append(f"- **{name}** ({found['samples']:,} samples): {areas}")
        hot = "; ".join(f"`{k}` {v}" for k, v in found["self"][:6])
        out.append(f"  - most self time: {hot}")
    return out
