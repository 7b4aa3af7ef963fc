"""The faults, in the order the drill injects them, each with what it does to the running
drill (run.Drill). A fault ends when the part it took away is back (restarted and ready,
started again after its outage, or resumed after a freeze), or when the overload stops;
recovery is measured from there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol


class Target(Protocol):
    """What a fault may do to the drill."""

    rate: float

    async def kill_and_restart(self, proc: str) -> None: ...
    async def stack_stop(self, part: str, seconds: float) -> None: ...
    async def stack_freeze(self, part: str, seconds: float) -> None: ...
    async def stack_kill(self, part: str) -> None: ...
    async def receivers_down(self, seconds: float) -> None: ...
    def set_load(self, rate: float) -> None: ...
    async def poison(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Target], Awaitable[None]]  # returns when the fault is over


def kill9(proc: str) -> Fault:
    return Fault(f"kill -9 {proc}", lambda t: t.kill_and_restart(proc))


def stopped(part: str, seconds: float) -> Fault:
    return Fault(f"{part} stopped {seconds:g} s", lambda t: t.stack_stop(part, seconds))


def frozen(part: str, seconds: float) -> Fault:
    """SIGSTOP, SIGCONT after `seconds`: connections stay open and nothing answers (a hung
    host): the store probe must refuse requests at once and consumers wait."""
    return Fault(f"{part} frozen (SIGSTOP) {seconds:g} s", lambda t: t.stack_freeze(part, seconds))


def killed(part: str) -> Fault:
    return Fault(f"kill -9 {part}", lambda t: t.stack_kill(part))


def receivers_down(seconds: float) -> Fault:
    return Fault(f"SMTP + SMS down {seconds:g} s", lambda t: t.receivers_down(seconds))


def overload(factor: float, seconds: float) -> Fault:
    async def inject(t: Target) -> None:
        steady = t.rate
        t.set_load(steady * factor)
        try:
            await asyncio.sleep(seconds)
        finally:
            t.set_load(steady)

    return Fault(f"overload {factor:g}x {seconds:g} s", inject)


def poisoned(seconds: float) -> Fault:
    return Fault(f"poison and forged messages {seconds:g} s", lambda t: t.poison(seconds))


def full(scale: float = 1.0, own_kafka: bool = True) -> list[Fault]:
    """Every fault of issue 9; `scale` shortens (or lengthens) the outages."""
    # Verification, notification and the dashboard run two instances each (layout.py):
    # instance 1 goes on, its group hands it the partitions. The others are simply down.
    faults = [
        kill9("intake-0"),
        kill9("verification-0"),
        kill9("notification-0"),
        kill9("dashboard-0"),
        kill9("audit-0"),
        kill9("relay-0"),
    ]
    if own_kafka:
        faults += [stopped("kafka", 30 * scale), killed("kafka")]
    faults += [
        stopped("ferretdb", 15 * scale),
        killed("ferretdb"),
        frozen("ferretdb", 15 * scale),
        receivers_down(60 * scale),
        overload(3, 30 * scale),
        poisoned(30 * scale),
    ]
    return faults


def short(scale: float = 1.0) -> list[Fault]:
    """The e2e tier's: one service killed mid-batch, the store away, SMTP and SMS away."""
    return [
        kill9("notification-0"),
        stopped("ferretdb", 15 * scale),
        receivers_down(20 * scale),
        poisoned(10 * scale),
    ]
