"""The processes under test: start jemput's, find the stack's, read their CPU time and memory.

jemput's processes are started in their own session (a Ctrl-C in the terminal reaches only
the bench, which then stops them in order) and logged to one file each.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.benchkit.process import cpu_seconds
from deploy.benchkit.process import memory_kib as memory_kb


@dataclass
class Proc:
    name: str  # e.g. "intake-0"
    component: str  # e.g. "intake"; instances of one component are summed
    pid: int
    popen: subprocess.Popen[bytes] | None = None  # None: not ours (the stack, the bench)
    port: int | None = None
    log: Path | None = None
    peak_rss_kb: int = 0  # sampled, since the last reset
    exited: int | None = None  # exit code, once it died under us
    started: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return Path(f"/proc/{self.pid}").exists()


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def stack_procs(state_dir: Path) -> list[Proc]:
    """FerretDB and Kafka as stack.sh started them (their pid files), plus this process."""
    procs = [Proc("bench", "bench", os.getpid())]
    for name in ("ferretdb", "kafka"):
        pid = read_pid(state_dir / "run" / f"{name}.pid")
        if pid is None:
            print(f"bench: no running {name} pid in {state_dir}/run: its CPU is not counted")
        else:
            procs.append(Proc(name, name, pid))
    return procs


@dataclass
class Fleet:
    """jemput's processes for one run."""

    env: Mapping[str, str]
    log_dir: Path
    cwd: Path
    procs: list[Proc] = field(default_factory=list)

    def start(
        self,
        name: str,
        component: str,
        module: str | None,
        port: int | None = None,
        command: Sequence[str] | None = None,
    ) -> Proc:
        """`python -m module`, or `command` as given (e.g. the bench's own SMTP sink)."""
        env = dict(self.env)
        if port is not None:
            env["JEMPUT_HTTP_PORT"] = str(port)
        argv = list(command) if command is not None else [sys.executable, "-m", str(module)]
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
                argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, component, popen.pid, popen, port, log)
        self.procs.append(proc)
        return proc

    async def wait_ready(self, procs: Iterable[Proc], limit: float) -> None:
        """Each process answers 200 on /health/ready (the relay too: it serves health)."""
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=2) as http:
            for proc in procs:
                while True:
                    if not proc.alive():
                        raise RuntimeError(f"{proc.name} exited during start-up\n{tail(proc)}")
                    if await _is_ready(http, proc):
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{proc.name} not ready in {limit:.0f}s\n{tail(proc)}")
                    await asyncio.sleep(0.25)

    def dead(self) -> list[Proc]:
        """Processes that exited under us (noted once, with their exit codes)."""
        gone = []
        for proc in self.procs:
            if proc.exited is None and proc.popen is not None and proc.popen.poll() is not None:
                proc.exited = proc.popen.returncode
                gone.append(proc)
        return gone

    def stop_all(self, grace: float = 10.0) -> None:
        """SIGTERM every process, wait up to `grace` seconds in all, then SIGKILL the rest."""
        ours = [p for p in self.procs if p.popen is not None and p.popen.poll() is None]
        for proc in ours:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in ours:
            assert proc.popen is not None
            try:
                proc.popen.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.popen.wait()


PROBLEM_MARKS = ('"ERROR"', '"WARNING"', "Traceback", " ERROR ", " WARNING ", "CRITICAL")


async def _is_ready(http: httpx.AsyncClient, proc: Proc) -> bool:
    if proc.port is None:  # nothing to ask: alive is ready
        return True
    try:
        response = await http.get(f"http://127.0.0.1:{proc.port}/health/ready")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def tail(proc: Proc, lines: int = 15) -> str:
    if proc.log is None:
        return ""
    text = proc.log.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"  {proc.name}| {line}" for line in text)


def log_problems(proc: Proc, limit: int = 5) -> tuple[int, list[str]]:
    """Error and warning lines in a process's log: how many, and the first few."""
    if proc.log is None or not proc.log.exists():
        return 0, []
    bad = [
        line
        for line in proc.log.read_text(errors="replace").splitlines()
        if any(mark in line for mark in PROBLEM_MARKS)
    ]
    return len(bad), bad[:limit]


class Sampler:
    """Samples every process's resident set every `interval` seconds; keeps the peak."""

    def __init__(self, procs: list[Proc], interval: float = 1.0) -> None:
        self.procs = procs
        self.interval = interval

    def reset(self) -> None:
        for proc in self.procs:
            proc.peak_rss_kb = memory_kb(proc.pid).get("VmRSS", 0)

    def sample(self) -> None:
        for proc in self.procs:
            rss = memory_kb(proc.pid).get("VmRSS", 0)
            proc.peak_rss_kb = max(proc.peak_rss_kb, rss)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


def cpu_snapshot(procs: Iterable[Proc]) -> dict[str, float]:
    """CPU seconds so far, by process name (a process that is gone counts as its last read)."""
    return {p.name: s for p in procs if (s := cpu_seconds(p.pid)) is not None}
