"""A FerretDB of a test's own (the same patched launcher `make up` runs), that the test
may stop and start: outages without disturbing the stack other tests use."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.receivers import free_port

ROOT = Path(__file__).resolve().parents[2]


def launcher() -> Path:
    state = Path(os.environ.get("JEMPUT_STATE_DIR") or ROOT / ".local")
    return state / "bin" / "ferretdb-launcher"


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


class OwnStore:
    def __init__(self, data: Path, log: Path) -> None:
        self.port, self.data, self.log = free_port(), data, log
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, within: float = 30.0) -> None:
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                [
                    str(launcher()),
                    "-listen",
                    f"127.0.0.1:{self.port}",
                    "-sqlite-dir",
                    str(self.data),
                ],
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + within
        while not listening(self.port):  # a bounded wait for the port, not a result
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"FerretDB did not listen on {self.port}; see {self.log}")
            time.sleep(0.1)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung host, a partition)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash would: connections are cut, nothing is flushed politely."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)


@contextmanager
def own_store(folder: Path) -> Iterator[OwnStore]:
    if not launcher().exists():
        raise RuntimeError(f"no FerretDB launcher at {launcher()}: run `make setup`")
    (folder / "ferretdb").mkdir(parents=True, exist_ok=True)
    store = OwnStore(folder / "ferretdb", folder / "ferretdb.log")
    store.start()
    try:
        yield store
    finally:
        store.kill()
