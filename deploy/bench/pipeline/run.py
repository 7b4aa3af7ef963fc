"""One benchmark run: fill, ceiling, processes up, warm-up, steps, report, everything down.

A little over ~300 lines on purpose: the run's steps in the order they happen.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import hashlib
import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from deploy.benchkit.machine import machine, server_name
from deploy.benchkit.process import memory_kib as memory_kb
from services.verification.settings import VerificationSettings
from shared.settings import InfraSettings, ServiceSettings

from . import commands as store_commands
from . import fill as filling
from . import pyspy
from .budget import overruns
from .ceiling import ceiling
from .forms import Forms
from .load import Sent, client, drain, open_loop
from .mailbox import Mailbox, port_free
from .procs import Fleet, Proc, Sampler, cpu_snapshot, stack_procs, tail
from .report import progress_line, publish, summary
from .stats import Window, ceiling_ratio, step_result
from .watcher import EventWatcher, create_topic, delete_topic

REPO = Path(__file__).resolve().parents[3]
SERVICES = (  # name, module, which block of --http-port-step ports
    ("intake", "services.intake", 0),
    ("verification", "services.verification", 1),
    ("notification", "services.notification", 2),
    ("dashboard", "services.dashboard", 4),
)
RELAY_PORT_BLOCK = 3


@dataclass(frozen=True)
class Options:
    rates: list[float]
    only_rate: bool
    step_seconds: float
    timeout: float
    drain_timeout: float
    warmup: int
    instances: int
    relays: int
    http_port_base: int
    http_port_step: int
    connections: int
    fill: int
    fill_batch: int
    fill_in_flight: int
    ceiling_docs: int
    log_level: str | None
    ready_timeout: float
    out: str | None
    keep: bool
    partitions: int = 4  # of the run's own events topic
    budget: dict[str, float] | None = None  # CPU ms per request (budget.py)
    profile_rate: float | None = None  # py-spy the processes during this step (pyspy.py)


class Bench:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.run_id = secrets.token_hex(3)
        self.settings = InfraSettings()
        self.db_name = f"jemput_bench_{self.run_id}"
        # A topic of the run's own: consumers never meet events of other runs' databases.
        self.own_topic = not os.environ.get("JEMPUT_EVENTS_TOPIC")
        self.topic = os.environ.get("JEMPUT_EVENTS_TOPIC") or f"jemput.bench.{self.run_id}.events"
        self.state_dir = Path(os.environ.get("JEMPUT_STATE_DIR") or REPO / ".local")
        self.log_dir = self.state_dir / "log" / f"bench-{self.run_id}"
        self.api_key = secrets.token_urlsafe(24)
        self.mailbox = Mailbox(self.log_dir / "smtp-sink.arrivals")
        self.fleet = Fleet(self._service_env(), self.log_dir, REPO)
        self.forms = Forms(self.run_id)
        self.next_index = 0
        self.dead: list[Proc] = []
        self.result: dict[str, Any] = {}
        self.watcher: EventWatcher | None = None

    def _service_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("JEMPUT_SMS_GATEWAY_URL", None)  # email only: the mailbox is the finish line
        digest = hashlib.sha256(self.api_key.encode()).hexdigest()
        env |= {
            "JEMPUT_MONGO_DB": self.db_name,
            "JEMPUT_EVENTS_TOPIC": self.topic,
            "JEMPUT_API_KEYS": json.dumps({"bench-officer": {"role": "officer", "sha256": digest}}),
            "JEMPUT_SMTP_HOST": self.mailbox.host,
            "JEMPUT_SMTP_PORT": str(self.mailbox.port),
            "JEMPUT_HTTP_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        if self.o.log_level:
            env["JEMPUT_LOG_LEVEL"] = self.o.log_level
        return env

    async def run(self) -> int:
        o, s = self.o, self.settings
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(s.mongo_url, tz_aware=True)
        watcher: EventWatcher | None = None
        atexit.register(self.fleet.stop_all)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.result = {
            "date": datetime.now(UTC).astimezone().date().isoformat(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(REPO),
            "server": server_name(await mongo.server_info(), REPO),
            "mongo_url": s.mongo_url,
            "kafka_bootstrap": s.kafka_bootstrap,
            "topic": self.topic,
            "database": self.db_name,
            "logs": str(self.log_dir),
            "options": asdict(o),
            "instances": {
                "intake": o.instances,
                "verification": o.instances,
                "notification": o.instances,
                "dashboard": o.instances,
                "relay": o.relays,
            },
            "step_seconds": o.step_seconds,
            "timeout": o.timeout,
            "connections": o.connections,
            "steps": [],
        }
        print(f"bench: run {self.run_id}, database {self.db_name}, logs in {self.log_dir}")
        try:
            db = mongo[self.db_name]
            filler = filling.Filler(
                s.chain_keys(),
                ServiceSettings().pseudonym_bytes(),
                VerificationSettings().rule_set_id,
                self.run_id,
                self.forms.today,
                datetime.now(UTC) - timedelta(days=1),
            )
            if o.fill > 0:
                filled = await filling.fill(db, filler, o.fill, o.fill_batch, o.fill_in_flight)
                filled["check"] = await filling.check(db, filler, filled["applicants"])
                print(f"bench: filled {filled['events']:,} events; check: {filled['check']}")
                self.result["fill"] = filled
                self.forms = Forms(self.run_id, first_person=filled["applicants"])
            if o.ceiling_docs > 0:
                found = await ceiling(db, filler.seal_stream(10**7, 1), o.ceiling_docs)
                self.result["ceiling"] = found
                print(f"bench: raw ceiling {found['rates']} documents/s (insert_many x100)")
            if self.own_topic:
                await create_topic(s.kafka_bootstrap, self.topic, o.partitions)
            await self._start_processes()
            watcher = self.watcher = EventWatcher(
                s.kafka_bootstrap, self.topic, f"jemput-bench-{self.run_id}", "bench-"
            )
            await watcher.start()
            self.result["topic_partitions"] = watcher.partitions()
            if watcher.partitions() < o.instances:
                print(
                    f"bench: WARNING {self.topic} has {watcher.partitions()} partitions: "
                    f"{o.instances - watcher.partitions()} instance(s) of each consumer stay idle"
                )
            await self._steps(watcher)
        finally:
            await self._finish(mongo, watcher)
        over = overruns(self.result["steps"], o.budget) if o.budget else []
        for line in over:
            print(f"bench: OVER BUDGET {line}")
        return 1 if self.dead or over else 0

    async def _start_processes(self) -> None:
        o = self.o
        sink = self.fleet.start("smtp-sink", "smtp-sink", None, command=self.mailbox.command())
        await self.mailbox.wait_listening(sink.alive)
        print(f"bench: SMTP sink (pid {sink.pid}) on {self.mailbox.host}:{self.mailbox.port}")
        if o.relays != 1:
            print(f"bench: WARNING {o.relays} relays: services/relay says run one per store")
        ports = [self._port(block, k) for _, _, block in SERVICES for k in range(o.instances)] + [
            self._port(RELAY_PORT_BLOCK, k) for k in range(o.relays)
        ]
        taken = [port for port in ports if not port_free(port)]
        if taken:  # another process would answer our readiness checks
            raise RuntimeError(f"ports {taken} are in use: choose another --http-port-base")
        for k in range(o.relays):
            port = self._port(RELAY_PORT_BLOCK, k)  # health and metrics only
            self.fleet.start(f"relay-{k}", "relay", "services.relay", port)
        for component, module, block in SERVICES:
            for k in range(o.instances):
                self.fleet.start(f"{component}-{k}", component, module, self._port(block, k))
        await self.fleet.wait_ready([p for p in self.fleet.procs if p is not sink], o.ready_timeout)
        where = ", ".join(f"{p.name}:{p.port}" for p in self.fleet.procs if p.port)
        print(f"bench: ready: {where}")

    def _port(self, block: int, instance: int) -> int:
        return self.o.http_port_base + block * self.o.http_port_step + instance

    async def _watch_processes(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for proc in self.fleet.dead():
                self.dead.append(proc)
                print(f"\nbench: {proc.name} EXITED with code {proc.exited}\n{tail(proc)}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    async def _steps(self, watcher: EventWatcher) -> None:
        o = self.o
        procs = stack_procs(self.state_dir) + self.fleet.procs
        sampler = Sampler(procs)
        stop = asyncio.Event()
        background = [
            asyncio.create_task(sampler.run(stop)),
            asyncio.create_task(self._watch_processes(stop)),
        ]
        urls = [f"http://127.0.0.1:{p.port}" for p in self.fleet.procs if p.component == "intake"]
        # Everything loaded so far lives to the end: keep the collector from walking it over
        # and over (a full collection of it would stall the sender for tens of ms).
        gc.collect()
        gc.freeze()
        try:
            async with client(o.connections, o.timeout) as http:
                if o.warmup > 0:
                    rate = min(10.0, o.rates[0])
                    sent, _, drained = await self._send(http, urls, o.warmup, rate, "warm-up")
                    if not drained or not any(s.accepted for s in sent):
                        raise RuntimeError(self._stuck("warm-up", sent))
                for rate in o.rates:
                    if self.dead:
                        print("bench: a process died; no further steps")
                        break
                    sampler.reset()
                    before = cpu_snapshot(procs)
                    commands_before = await store_commands.snapshot(self.fleet.procs)
                    count = max(round(rate * o.step_seconds), 1)
                    profiling = pyspy.start(
                        self.fleet.procs if rate == o.profile_rate else [],
                        o.step_seconds,
                        self.log_dir,
                    )
                    sent, window, _ = await self._send(http, urls, count, rate, f"{rate:g}/s")
                    if profiling:
                        self.result["profiles"] = pyspy.finish(profiling)
                        self.result["profile_rate"] = rate
                    sampler.sample()
                    self.mailbox.poll()
                    step = step_result(
                        window, sent, self.mailbox, watcher, before, cpu_snapshot(procs), procs
                    )
                    step["vs_ceiling"] = ceiling_ratio(
                        step, (self.result.get("ceiling") or {}).get("best")
                    )
                    step["store_commands"] = store_commands.per_request(
                        commands_before,
                        await store_commands.snapshot(self.fleet.procs),
                        int(step["accepted"]),
                    )
                    self.result["steps"].append(step)
                    print(progress_line(step))
        finally:
            stop.set()
            await asyncio.gather(*background)

    async def _send(
        self, http: Any, urls: list[str], count: int, rate: float, label: str
    ) -> tuple[list[Sent], Window, bool]:
        first, self.next_index = self.next_index, self.next_index + count

        tty, shown = sys.stdout.isatty(), [time.perf_counter()]

        def tick(n: int) -> None:  # on a terminal every second, else every 10 s
            if tty or time.perf_counter() - shown[0] >= 10:
                shown[0] = time.perf_counter()
                print(
                    f"\rbench: {label}: sent {n}/{count}, emails so far {self.mailbox.count()}",
                    end="" if tty else "\n",
                    flush=True,
                )

        sent = await open_loop(http, urls, self.api_key, self.forms, first, count, rate, tick)
        accepted = [s for s in sent if s.accepted]
        missing = accepted

        def pending() -> int:  # the requests still without an email (a shrinking list)
            nonlocal missing
            if self.dead:
                return 0
            self.mailbox.poll()
            arrival = self.mailbox.arrival
            missing = [s for s in missing if arrival(s.tracking_code, s.index) is None]
            return len(missing)

        drained, waited = await drain(pending, self.o.drain_timeout)
        await self._settle(accepted)
        left = pending()
        print(
            f"\rbench: {label}: {len(accepted)}/{count} accepted, drained in {waited:.1f}s"
            + (f", {left} emails missing" if left else "")
            + " " * 20
        )
        window = Window(rate, sent[0].scheduled, count / rate, time.time(), drained, waited)
        return sent, window, drained and not self.dead

    async def _settle(self, accepted: list[Sent], quiet: float = 1.0, limit: float = 10.0) -> None:
        """After the last email the services still record (and the relay publishes) the
        delivery: wait until the step's event count has been still for `quiet` seconds."""
        if self.watcher is None:
            return
        events = self.watcher.events
        started = last_change = time.perf_counter()
        seen = -1
        while time.perf_counter() - last_change < quiet and time.perf_counter() - started < limit:
            now = sum(events.get(s.request_id, 0) for s in accepted)
            if now != seen:
                seen, last_change = now, time.perf_counter()
            await asyncio.sleep(0.2)

    def _stuck(self, label: str, sent: list[Sent]) -> str:
        answers: dict[str, int] = {}
        for s in sent:
            key = s.error or f"http_{s.status}"
            answers[key] = answers.get(key, 0) + 1
        tails = "\n".join(tail(p, 8) for p in self.fleet.procs)
        return f"{label}: the pipeline did not deliver (answers {answers}); logs:\n{tails}"

    async def _finish(self, mongo: AsyncMongoClient[dict[str, Any]], watcher: Any) -> None:
        if watcher is not None:
            with contextlib.suppress(Exception):
                await watcher.stop()
        peaks = {p.name: memory_kb(p.pid).get("VmHWM", 0) for p in self.fleet.procs}
        self.fleet.stop_all()
        self.mailbox.close()
        self.result |= summary(self.fleet.procs, peaks, self.mailbox, watcher)
        if not self.o.keep:
            with contextlib.suppress(Exception):
                await mongo.drop_database(self.db_name)
        await mongo.close()
        if self.own_topic:
            await delete_topic(self.settings.kafka_bootstrap, self.topic)
        if self.o.budget:
            self.result["budget"] = {
                "limits": self.o.budget,
                "overruns": overruns(self.result.get("steps", []), self.o.budget),
            }
        if self.result.get("steps"):
            folder = Path(self.o.out) if self.o.out else REPO / "docs" / "bench"
            stem = f"pipeline-{self.result['date']}"
            if self.o.only_rate:
                stem += f"-rate{self.o.rates[0]:g}"
            publish(self.result, folder, stem, REPO)
        elif self.result.get("log_problems"):
            for name, found in self.result["log_problems"].items():
                print(f"bench: {name}: {found['count']} warning/error line(s), first:")
                print("\n".join(f"  {line[:300]}" for line in found["first"]))
