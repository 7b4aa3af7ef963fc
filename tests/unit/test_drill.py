"""deploy/drill without its stack: the fault rows, the processes it runs and their ports,
and the frozen store (SIGSTOP, then SIGCONT whatever happens) on a throwaway process."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from deploy.bench.pipeline.procs import Fleet, Proc
from deploy.drill import faults, layout
from deploy.drill.poison import EXPECTED_REASONS
from deploy.drill.run import Drill
from deploy.drill.stack import OwnStack, state
from tests.waiting import eventually

EVENTS_CONSUMERS = ("verification", "notification", "dashboard")


class Recorder:
    """A faults.Target that only notes what it was asked to do."""

    def __init__(self) -> None:
        self.rate = 10.0
        self.calls: list[tuple[Any, ...]] = []

    async def kill_and_restart(self, proc: str) -> None:
        self.calls.append(("kill_and_restart", proc))

    async def stack_stop(self, part: str, seconds: float) -> None:
        self.calls.append(("stack_stop", part, seconds))

    async def stack_freeze(self, part: str, seconds: float) -> None:
        self.calls.append(("stack_freeze", part, seconds))

    async def stack_kill(self, part: str) -> None:
        self.calls.append(("stack_kill", part))

    async def receivers_down(self, seconds: float) -> None:
        self.calls.append(("receivers_down", seconds))

    def set_load(self, rate: float) -> None:
        self.calls.append(("set_load", rate))

    async def poison(self, seconds: float) -> None:
        self.calls.append(("poison", seconds))


def names(rows: Sequence[faults.Fault]) -> list[str]:
    return [f.name for f in rows]


# ---- the rows ---------------------------------------------------------------------------
def test_the_full_drill_freezes_the_store_right_after_stopping_and_killing_it() -> None:
    for own_kafka in (True, False):
        rows = names(faults.full(1.0, own_kafka=own_kafka))
        at = rows.index("kill -9 ferretdb")
        assert rows[at - 1 : at + 2] == [
            "ferretdb stopped 15 s",
            "kill -9 ferretdb",
            "ferretdb frozen (SIGSTOP) 15 s",
        ]
        assert ("kafka stopped 30 s" in rows) is own_kafka
    assert "ferretdb frozen (SIGSTOP) 7.5 s" in names(faults.full(0.5))


async def test_the_frozen_row_asks_the_drill_to_freeze_the_part() -> None:
    target = Recorder()
    await faults.frozen("ferretdb", 15).inject(target)
    assert target.calls == [("stack_freeze", "ferretdb", 15)]


async def test_the_full_drill_kills_instance_0_of_every_service_it_runs() -> None:
    target = Recorder()
    for fault in faults.full(1.0):
        if fault.name.startswith("kill -9 "):  # services, and Kafka and FerretDB
            await fault.inject(target)
    killed = [call[1] for call in target.calls if call[0] == "kill_and_restart"]
    assert killed == [
        "intake-0",
        "verification-0",
        "notification-0",
        "dashboard-0",
        "audit-0",
        "relay-0",
    ]
    assert sorted(killed) == sorted(f"{s.component}-0" for s in layout.FULL)
    for name in killed:  # each names a process the full drill runs
        assert name in layout.names(layout.FULL)


def test_the_short_drill_runs_what_it_always_ran() -> None:
    assert names(faults.short(0.5)) == [  # what tests/e2e/test_drill.py expects
        "kill -9 notification-0",
        "ferretdb stopped 7.5 s",
        "SMTP + SMS down 10 s",
        "poison and forged messages 5 s",
    ]
    assert layout.names(layout.services(short=True)) == [
        "relay-0",
        "intake-0",
        "verification-0",
        "notification-0",
        "notification-1",
        "audit-0",
    ]
    assert layout.dead_letter_components(layout.SHORT) == ["intake", "verification", "notification"]


# ---- the processes and their ports -----------------------------------------------------
def test_every_events_consumer_runs_twice_in_the_full_drill() -> None:
    fleet = layout.services(short=False)
    counts = {s.component: s.instances for s in fleet}
    assert all(counts[c] == 2 for c in EVENTS_CONSUMERS)
    assert counts["relay"] == counts["intake"] == counts["audit"] == 1
    assert layout.dead_letter_components(fleet) == ["intake", *EVENTS_CONSUMERS]
    for component in layout.dead_letter_components(fleet):  # what the checker looks up
        assert EXPECTED_REASONS[component]


@pytest.mark.parametrize("short", [False, True])
def test_process_names_are_unique_and_ports_distinct_inside_the_block(short: bool) -> None:
    fleet = layout.services(short)
    every = layout.names(fleet)
    assert len(every) == len(set(every))
    base = 25_000
    ports = [layout.port(fleet, base, name) for name in every]
    assert len(ports) == len(set(ports))
    assert all(base <= p < base + layout.port_count(fleet) for p in ports)
    assert layout.port(fleet, base, "relay-0") == base  # the layout the drill always had
    assert layout.port(fleet, base, "notification-1") == base + 10 * 3 + 1


def test_a_name_outside_the_fleet_is_refused() -> None:
    with pytest.raises(KeyError, match="dashboard-0"):
        layout.service_of(layout.SHORT, "dashboard-0")
    with pytest.raises(KeyError, match="verification-1"):
        layout.service_of(layout.SHORT, "verification-1")


class NoteFleet(Fleet):
    """Starts nothing: notes each process's name, module, port and environment."""

    started: list[tuple[str, str | None, int | None, dict[str, str]]]

    def start(
        self,
        name: str,
        component: str,
        module: str | None,
        port: int | None = None,
        command: Sequence[str] | None = None,
    ) -> Proc:
        self.started.append((name, module, port, dict(self.env)))
        return Proc(name, component, 0, port=port)


def test_each_consumer_gets_the_drills_dead_letter_topic_and_nobody_another_ones(
    tmp_path: Path,
) -> None:
    drill = Drill.__new__(Drill)  # no stack: only the process layout is used
    drill.run_id, drill.services, drill.http_base = "abc123", layout.FULL, 25_000
    fleet = drill.fleet = NoteFleet({"JEMPUT_X": "1"}, tmp_path, tmp_path)
    fleet.started = []
    for name in layout.names(layout.FULL):
        drill._start(name)
    topics = {name: env.get("JEMPUT_DEAD_LETTER_TOPIC") for name, _, _, env in fleet.started}
    assert topics["dashboard-0"] == topics["dashboard-1"] == "drill.abc123.dashboard.dlq"
    assert topics["verification-1"] == "drill.abc123.verification.dlq"
    assert topics["audit-0"] is None  # started after the consumers: nothing left over
    assert fleet.env == {"JEMPUT_X": "1"}
    assert {m for _, m, _, _ in fleet.started} == {s.module for s in layout.FULL}
    assert len({p for _, _, p, _ in fleet.started}) == len(fleet.started)
    assert "drill.abc123.dashboard.dlq" in drill.dead_letter_topics()
    drill.services = layout.SHORT
    assert not any("dashboard" in t for t in drill.dead_letter_topics())


# ---- the frozen store, on a throwaway process ------------------------------------------
@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[tuple[OwnStack, int]]:
    """An OwnStack whose `ferretdb` pid file names a `sleep 30` of the test's own."""
    child = subprocess.Popen(["sleep", "30"])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ferretdb.pid").write_text(str(child.pid))
    try:
        yield OwnStack(tmp_path, 0, 0, 0, own_kafka=False), child.pid
    finally:
        child.kill()
        child.wait(10)


def until(condition: Any, within: float = 5.0) -> bool:
    """A bounded wait for a process's state to change (the kernel's, not a result)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_freeze_stops_the_process_then_continues_it(
    sleeper: tuple[OwnStack, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    own, pid = sleeper
    assert state(pid) != "T"
    seen: list[tuple[float, str | None]] = []
    with monkeypatch.context() as m:  # the frozen time itself is not waited out
        m.setattr(time, "sleep", lambda s: seen.append((s, state(pid))))
        own.freeze("ferretdb", 15)
    assert seen[-1] == (15, "T")  # stopped all the while it was frozen
    assert until(lambda: state(pid) != "T")
    assert own.pid("ferretdb") == pid  # still there: frozen, not gone


def test_freeze_continues_the_process_when_interrupted(
    sleeper: tuple[OwnStack, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    own, pid = sleeper

    def interrupted(seconds: float) -> None:
        if seconds == 15:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(time, "sleep", interrupted)
        with pytest.raises(KeyboardInterrupt):
            own.freeze("ferretdb", 15)
    assert until(lambda: state(pid) != "T")


def test_pause_and_resume_and_stop_resumes_first(sleeper: tuple[OwnStack, int]) -> None:
    own, pid = sleeper
    own.pause("ferretdb")
    assert state(pid) == "T"  # pause returns once it is stopped
    own.resume("ferretdb")
    assert until(lambda: state(pid) != "T")
    own.resume("ferretdb")  # harmless when not paused


def test_a_part_that_is_not_running_cannot_be_frozen(tmp_path: Path) -> None:
    own = OwnStack(tmp_path, 0, 0, 0, own_kafka=False)
    with pytest.raises(RuntimeError, match="ferretdb is not running"):
        own.freeze("ferretdb", 1)
    own.resume("ferretdb")  # nothing to do


async def test_the_drill_continues_the_store_when_the_freeze_is_cancelled(
    sleeper: tuple[OwnStack, int],
) -> None:
    own, pid = sleeper
    drill = cast(Drill, SimpleNamespace(stack=own))
    freeze = asyncio.create_task(Drill.stack_freeze(drill, "ferretdb", 30))
    await eventually(lambda: state(pid) == "T", within=5, interval=0.01, what="SIGSTOP")
    freeze.cancel()  # a Ctrl-C mid-fault
    with pytest.raises(asyncio.CancelledError):
        await freeze
    await eventually(lambda: state(pid) != "T", within=5, interval=0.01, what="SIGCONT")
