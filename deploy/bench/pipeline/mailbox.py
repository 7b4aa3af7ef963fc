"""Where the emails arrive: an SMTP sink in its own process (smtp_sink.py), whose lines the
generator reads back here.

The sink appends `<time.time()> <code or -> <recipient>…` per email to a file; `poll()`
reads what was added since the last call (cheap when nothing was: one read). Every email
names its request's tracking code (`JB-XXXXX-XXXXX`, in the subject: see
services/notification/templates.py); the bench also gives each request its own address,
so an email is matched to its request by code, or by recipient if the code is not found.
Times are wall-clock, `time.time()` in the sink, the clock the load generator uses too.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .forms import Forms

SINK = "deploy.bench.pipeline.smtp_sink"  # run as a module: its folder stays off sys.path
LISTENING = b"# listening "


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `port` (as uvicorn does: SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


class Mailbox:
    """First arrival per tracking code and per request index; counts of the rest."""

    def __init__(self, arrivals: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.path = arrivals
        self.host = host
        self.port = port or free_port(host)
        self.by_code: dict[str, float] = {}
        self.by_index: dict[int, float] = {}
        self.received = 0
        self.repeats = 0  # a second email for a code already seen
        self.unmatched = 0  # neither a code nor a bench address
        self.listening = False
        self._file: BinaryIO | None = None
        self._rest = b""  # a line the sink has not finished writing

    def command(self) -> list[str]:
        """The sink's command line (run it with `sys.executable`)."""
        return [
            sys.executable,
            "-m",
            SINK,
            *("--host", self.host, "--port", str(self.port), "--out", str(self.path)),
        ]

    async def wait_listening(self, alive: Callable[[], bool], limit: float = 30.0) -> None:
        """Until the sink says it listens; `alive()` false (it exited) or `limit` raise."""
        deadline = time.monotonic() + limit
        while not self.listening:
            self.poll()
            if self.listening:
                return
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP sink did not start listening on port {self.port}")
            await asyncio.sleep(0.05)

    def poll(self) -> None:
        """Take in the lines the sink wrote since the last call."""
        if self._file is None:
            try:
                self._file = self.path.open("rb")
            except FileNotFoundError:
                return
        data = self._file.read()
        if not data:
            return
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        for line in lines:
            self._note(line)

    def _note(self, line: bytes) -> None:
        if line.startswith(b"#"):
            self.listening = self.listening or line.startswith(LISTENING)
            return
        parts = line.decode(errors="replace").split()
        if len(parts) < 2:
            return
        try:
            at = float(parts[0])
        except ValueError:
            return
        code = None if parts[1] == "-" else parts[1]
        indexes = [i for rcpt in parts[2:] if (i := Forms.index_of_email(rcpt)) is not None]
        self.received += 1
        if code is not None:
            if code in self.by_code:
                self.repeats += 1
            else:
                self.by_code[code] = at
        for index in indexes:
            self.by_index.setdefault(index, at)
        if code is None and not indexes:
            self.unmatched += 1

    def arrival(self, code: str | None, index: int) -> float | None:
        """When the email for a request arrived (as of the last `poll()`)."""
        if code is not None and (at := self.by_code.get(code)) is not None:
            return at
        return self.by_index.get(index)

    def count(self) -> int:
        self.poll()
        return self.received

    def close(self) -> None:
        self.poll()
        if self._file is not None:
            self._file.close()
            self._file = None
