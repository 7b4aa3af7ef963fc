"""One drill: own stack and processes up, steady load, each fault in turn with recovery
between, the unanswered resent, the checker, the report, everything down."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deploy.bench.pipeline.forms import Forms
from deploy.bench.pipeline.load import client
from deploy.bench.pipeline.mailbox import Mailbox, free_port, port_free
from deploy.bench.pipeline.procs import Fleet, Proc
from deploy.benchkit.reports import text_or_empty

from . import faults as catalogue
from . import layout, poison
from .check import Checker, FaultWindow
from .history import History
from .stack import REPO, OwnStack

GATEWAY = "deploy.drill.gateway"  # run as a module: its folder stays off sys.path


def quiet_ports(count: int) -> int:
    """The first of `count` consecutive free ports below Linux's ephemeral range (32768
    and up), where no outgoing connection takes one while a killed service is down."""
    for _ in range(500):
        base = random.randrange(20_000, 32_000 - count)  # noqa: S311 (not a secret)
        if all(port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} free consecutive ports between 20000 and 32000")


@dataclass
class Options:
    rate: float
    short: bool
    scale: float
    settle: float
    catch_up_limit: float
    timeout: float
    kafka: str | None  # an outside Kafka (no Kafka faults); None: the drill's own
    out: Path
    state: Path | None


@dataclass
class Drill:
    o: Options
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    windows: list[FaultWindow] = field(default_factory=list)
    poison_sent: dict[str, int] = field(default_factory=dict)  # by kind, by the poison fault

    def __post_init__(self) -> None:
        base = self.o.state or Path(os.environ.get("JEMPUT_STATE_DIR") or REPO / ".local")
        self.dir = base / "drill" / self.run_id
        self.stack = OwnStack.create(self.dir, own_kafka=self.o.kafka is None)
        self.kafka = self.o.kafka or self.stack.kafka_bootstrap
        self.api_key = secrets.token_urlsafe(24)
        self.mailbox = Mailbox(self.dir / "smtp-sink.arrivals")
        self.sms_port, self.sms_file = free_port(), self.dir / "sms-gateway.arrivals"
        self.db = f"jemput_drill_{self.run_id}"
        self.chain_key = secrets.token_hex(32)
        self.fleet = Fleet(self._env(), self.dir, REPO)
        self.history = History(Forms(self.run_id), self.api_key, rate=self.o.rate)
        self.rate = self.o.rate
        self.receivers: dict[str, Proc] = {}
        self.services = layout.services(self.o.short)

    def _env(self) -> dict[str, str]:
        digest = hashlib.sha256(self.api_key.encode()).hexdigest()
        topic = f"drill.{self.run_id}"
        return os.environ | {
            "JEMPUT_MONGO_URL": self.stack.mongo_url,
            "JEMPUT_MONGO_DB": self.db,
            "JEMPUT_KAFKA_BOOTSTRAP": self.kafka,
            "JEMPUT_EVENTS_TOPIC": f"{topic}.events",
            "JEMPUT_INTAKE_TOPIC": f"{topic}.intake",
            "JEMPUT_INTAKE_DEAD_LETTER_TOPIC": f"{topic}.intake.dlq",
            "JEMPUT_CHAIN_KEY_ID": f"drill-{self.run_id}",
            "JEMPUT_CHAIN_KEY": self.chain_key,
            "JEMPUT_API_KEYS": json.dumps({"drill": {"role": "officer", "sha256": digest}}),
            "JEMPUT_SMTP_PORT": str(self.mailbox.port),
            "JEMPUT_SMS_GATEWAY_URL": f"http://127.0.0.1:{self.sms_port}/sms",
            "JEMPUT_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def dead_letter_topic(self, component: str) -> str:
        return f"drill.{self.run_id}.{component}.dlq"

    def dead_letter_topics(self) -> list[str]:
        """Those of the consumers this drill runs (the short drill has no dashboard)."""
        return [self.dead_letter_topic(c) for c in layout.dead_letter_components(self.services)]

    # ---- processes ------------------------------------------------------------------
    def _start(self, name: str) -> Proc:
        service, _ = layout.service_of(self.services, name)
        port = layout.port(self.services, self.http_base, name)
        shared = self.fleet.env
        if service.component in layout.OWN_DEAD_LETTER_TOPIC:  # for this process only
            topic = self.dead_letter_topic(service.component)
            self.fleet.env = dict(shared) | {"JEMPUT_DEAD_LETTER_TOPIC": topic}
        try:
            return self.fleet.start(name, service.component, service.module, port)
        finally:
            self.fleet.env = shared

    def _receiver(self, name: str) -> Proc:
        if name == "smtp-sink":
            proc = self.fleet.start(name, name, None, command=self.mailbox.command())
        else:
            command = [sys.executable, "-m", GATEWAY, "--port", str(self.sms_port)]
            proc = self.fleet.start(
                name, name, None, command=[*command, "--out", str(self.sms_file)]
            )
        self.receivers[name] = proc
        return proc

    async def _receivers_up(self) -> None:
        sink = self._receiver("smtp-sink")
        self.mailbox.listening = False
        await self.mailbox.wait_listening(sink.alive)
        self._receiver("sms-gateway")
        deadline = time.monotonic() + 30
        while f"# listening {self.sms_port}" not in text_or_empty(self.sms_file):
            if time.monotonic() > deadline:
                raise RuntimeError("the SMS gateway did not start")
            await asyncio.sleep(0.1)

    def live(self, name: str) -> Proc:
        return next(p for p in reversed(self.fleet.procs) if p.name == name)

    # ---- what faults do (faults.Target) ---------------------------------------------
    async def kill_and_restart(self, proc: str) -> None:
        victim = self.live(proc)
        victim.popen.kill() if victim.popen else None  # SIGKILL
        await asyncio.to_thread(victim.popen.wait) if victim.popen else None
        await self.fleet.wait_ready([self._start(proc)], 90)

    async def stack_stop(self, part: str, seconds: float) -> None:
        await asyncio.to_thread(self.stack.stop, part)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(self.stack.start, part)

    async def stack_freeze(self, part: str, seconds: float) -> None:
        """SIGSTOP, then SIGCONT: a store that hangs with its connections open. Resumed
        whatever happens meanwhile (a Ctrl-C cancels the sleep, not the SIGCONT; and
        stack.stop_all resumes before it stops)."""
        try:
            await asyncio.to_thread(self.stack.pause, part)
            await asyncio.sleep(seconds)
        finally:
            self.stack.resume(part)

    async def stack_kill(self, part: str) -> None:
        await asyncio.to_thread(self.stack.kill, part)
        await asyncio.to_thread(self.stack.start, part)

    async def receivers_down(self, seconds: float) -> None:
        for proc in self.receivers.values():
            if proc.popen is not None:
                proc.popen.terminate()
                await asyncio.to_thread(proc.popen.wait)
        await asyncio.sleep(seconds)
        await self._receivers_up()

    def set_load(self, rate: float) -> None:
        self.history.rate = rate

    async def poison(self, seconds: float) -> None:
        topic = f"drill.{self.run_id}"
        sent = await poison.inject(
            self.kafka, f"{topic}.events", f"{topic}.intake", seconds, rate=self.rate
        )
        for kind, n in sent.items():
            self.poison_sent[kind] = self.poison_sent.get(kind, 0) + n

    # ---- the run --------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        self.dir.mkdir(parents=True, exist_ok=True)
        print(f"drill: run {self.run_id}, state and logs in {self.dir}", flush=True)
        try:
            await asyncio.to_thread(self.stack.start)
            self.fleet.env = self._env()
            self.http_base = quiet_ports(layout.port_count(self.services))
            await self._receivers_up()
            names = layout.names(self.services)
            await self.fleet.wait_ready([self._start(n) for n in names], 120)
            return await self._under_load()
        finally:
            self.fleet.stop_all()
            self.mailbox.close()
            await asyncio.to_thread(self.stack.stop_all)

    async def _under_load(self) -> dict[str, Any]:
        checker = Checker(self)
        faults = (
            catalogue.short(self.o.scale)
            if self.o.short
            else catalogue.full(self.o.scale, own_kafka=self.o.kafka is None)
        )
        stop = asyncio.Event()
        intake = [f"http://127.0.0.1:{self.live('intake-0').port}"]
        async with client(256, self.o.timeout) as http:
            load = asyncio.create_task(self.history.run(http, intake, stop))
            await asyncio.sleep(self.o.settle)
            await self._caught_up()
            checkpoint_at = datetime.now(UTC) - timedelta(seconds=1)
            await checker.take_digest(checkpoint_at)
            for fault in faults:
                print(f"drill: {fault.name} ...", flush=True)
                window = FaultWindow(fault.name, time.time(), self.history.in_flight)
                await fault.inject(self)
                window.end = time.time()
                self.windows.append(window)
                await asyncio.sleep(self.o.settle)
                window.caught_up = await self._caught_up()
            stop.set()
            await load
            self.last_fault_end = self.windows[-1].end if self.windows else time.time()
            await self.history.resend_unanswered(http, intake[0])
        return await checker.check()

    async def _caught_up(self) -> float | None:
        """Until every request accepted so far has its email (bounded; the load goes on,
        so later ones are not waited for): seconds waited, or None."""
        started = time.time()
        codes = list(self.history.accepted_codes().values())
        while time.time() - started < self.o.catch_up_limit:
            self.mailbox.poll()
            codes = [c for c in codes if self.mailbox.arrival(c, -1) is None]
            if not codes:
                return time.time() - started
            await asyncio.sleep(0.5)
        return None
