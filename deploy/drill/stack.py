"""The drill's own Kafka and FerretDB: deploy/local/stack.sh under a state folder of the
drill's own, on free ports, so that stopping and killing them disturbs nobody else.

The jars and the launcher are the ones `make setup` cached (linked, not copied or built
again); data, logs and pid files are the drill's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deploy.bench.pipeline.mailbox import free_port

REPO = Path(__file__).resolve().parents[2]
STACK_SH = REPO / "deploy" / "local" / "stack.sh"


def main_state() -> Path:
    return Path(os.environ.get("JEMPUT_STATE_DIR") or REPO / ".local")


@dataclass
class OwnStack:
    """`kafka` and `ferretdb`, each stopped politely, killed, frozen or started again."""

    state: Path
    kafka_port: int
    controller_port: int
    mongo_port: int
    own_kafka: bool = True  # False: a Kafka given from outside (the e2e tier's), never faulted

    @classmethod
    def create(cls, state: Path, own_kafka: bool = True) -> OwnStack:
        cached = main_state()
        subprocess.run([str(STACK_SH), "setup"], check=True, env=dict(os.environ))  # noqa: S603
        (state / "kafka").mkdir(parents=True, exist_ok=True)
        for link, target in ((state / "kafka" / "libs", cached / "kafka" / "libs"),
                             (state / "bin", cached / "bin")):  # fmt: skip
            if not link.exists():
                link.symlink_to(target, target_is_directory=True)
        return cls(state, free_port(), free_port(), free_port(), own_kafka)

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def _env(self) -> dict[str, str]:
        return os.environ | {
            "JEMPUT_STATE_DIR": str(self.state),
            "JEMPUT_KAFKA_PORT": str(self.kafka_port),
            "JEMPUT_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "JEMPUT_FERRETDB_PORT": str(self.mongo_port),
        }

    def _stack(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 (our own script)
            [str(STACK_SH), *args], check=True, env=self._env(), stdout=subprocess.DEVNULL
        )

    def parts(self) -> list[str]:
        return ["ferretdb", "kafka"] if self.own_kafka else ["ferretdb"]

    def start(self, name: str | None = None) -> None:
        """Start what is not running (stack.sh starts both; it skips what runs) and wait."""
        if name == "kafka" or (name is None and self.own_kafka):
            self._stack("start")  # starts FerretDB too if it is down: both are wanted up
        else:
            self._start_ferretdb_only()

    def _start_ferretdb_only(self) -> None:
        # stack.sh start would also start a Kafka of ours; with an outside Kafka, FerretDB
        # is started the way stack.sh does it.
        pid = self.pid("ferretdb")
        if pid is not None:
            return
        run, logs = self.state / "run", self.state / "log"
        for folder in (run, logs, self.state / "ferretdb" / "data"):
            folder.mkdir(parents=True, exist_ok=True)
        with (logs / "ferretdb.log").open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 (the cached launcher)
                [
                    str(self.state / "bin" / "ferretdb-launcher"),
                    "-listen",
                    f"127.0.0.1:{self.mongo_port}",
                    "-sqlite-dir",
                    str(self.state / "ferretdb" / "data"),
                ],
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        (run / "ferretdb.pid").write_text(str(process.pid))
        deadline = time.monotonic() + 60
        while not _listening(self.mongo_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"FerretDB did not start; see {logs / 'ferretdb.log'}")
            time.sleep(0.2)

    def stop(self, name: str) -> None:
        """SIGTERM and wait (stack.sh stop): an operator's stop (of a frozen one too)."""
        self.resume(name)  # a stopped process would hold SIGTERM until SIGCONT
        self._stack("stop", name)

    def pause(self, name: str, within: float = 10.0) -> None:
        """SIGSTOP, and wait until it is stopped: its connections stay open, nothing
        answers (a hung host). Undone by resume()."""
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + within
        while state(pid) != "T":
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGCONT)
                raise RuntimeError(f"{name} (pid {pid}) did not stop in {within:g} s")
            time.sleep(0.01)

    def resume(self, name: str) -> None:
        """SIGCONT (nothing if it is not running; harmless if it was not paused)."""
        pid = self.pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGCONT)

    def freeze(self, name: str, seconds: float) -> None:
        """Paused for `seconds`, then resumed, even if the wait is interrupted."""
        self.pause(name)
        try:
            time.sleep(seconds)
        finally:
            self.resume(name)

    def kill(self, name: str) -> None:
        """SIGKILL: a crash. The pid file stays; start() sees the process gone."""
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        (self.state / "run" / f"{name}.pid").unlink(missing_ok=True)

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.state / "run" / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return None if state(pid) in (None, "Z") else pid

    def stop_all(self) -> None:
        for name in self.parts():
            if self.pid(name) is not None:
                self.stop(name)


def state(pid: int) -> str | None:
    """The process's state letter in /proc (R, S, T when stopped, Z...), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True
