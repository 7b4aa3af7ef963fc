"""How long auditors wait: verifying, digesting and rebuilding N events, and reading one
applicant's history, beside raw reads of the same collection in the same run.

    make bench-audit            # 100,000 events
    make bench-audit-1m         # 1,000,000 events
    nice -n 10 .venv/bin/python deploy/bench/audit_scan.py --events 1000000 --server-pid 4242

The events are what the pipeline writes for each applicant (RequestSubmitted, the rules'
decision, NotificationAttempted, NotificationDelivered), made by deploy/bench/pipeline/
fill.py: sealed and chained by the store's own code, in the store's document layout, and
inserted with insert_many (minutes for 1M). `--fill-through-store` appends the same
applicants through `EventStore.append` instead (~18 minutes per 100k).

Measured, in this order, each as events/s and as a ratio to the raw scan that reads the
same documents in the same order:

- raw scans: find({}) unsorted; sorted by (stream_id, version); sorted by position;
- verify the whole store and the store digest (both walk `raw_documents`, sorted by
  stream and version), rebuild every read model (`read_all`, sorted by position);
- history reads: `read_stream` of `--samples` random applicants, one at a time, on a fresh
  store object (nothing cached), interleaved with raw `find_one({_id})` of random events of
  other applicants: p50/p95/p99 ms of each.

Client CPU (this process) and, with `--server-pid`, the server's CPU are noted per phase.
Results go to docs/bench/audit-<date>-<N>.json and .md. `--keep` leaves the database for
reruns (`--db NAME` reuses it).

The measurements are here, in the order they run, so that a reader can check what was
timed; the report (medians, ratios, Markdown) is audit_report.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import ASCENDING

from deploy.bench.audit_report import Phase, markdown, median_phases, phase_rows, rewrite, write
from deploy.bench.pipeline.fill import EVENTS_PER_APPLICANT, Filler
from deploy.bench.pipeline.fill import fill as fast_fill
from deploy.bench.pipeline.forms import jakarta_today
from deploy.benchkit.machine import loadavg, machine, server_name
from deploy.benchkit.percentiles import latency_ms, percentile
from deploy.benchkit.process import ServerProcess
from services.audit.projections import rebuild
from services.verification.settings import VerificationSettings
from shared.domain.events import registry
from shared.eventstore.chain import ChainKeys
from shared.eventstore.digest import checkpoint
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import event_key
from shared.eventstore.store import EventStore
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import PersonalData
from shared.retention import load_policy
from shared.runtime import mongo_client
from shared.settings import InfraSettings

REPO = Path(__file__).resolve().parents[2]
KEYS = ChainKeys.single("bench", "bench-key-0123456789")
PSEUDONYM_KEY = b"bench-audit-pseudonym-key"
RUN_ID = "audit"  # fixed: a kept database (--keep, --db) is found again by the same ids
SORTED_BY_STREAM = "raw_scan_stream_version"
SORTED_BY_POSITION = "raw_scan_position"


async def timed(
    key: str,
    label: str,
    work: Callable[[], Awaitable[int]],
    server: ServerProcess,
    baseline: str | None = None,
) -> Phase:
    """Run `work` (which returns how many events it went through) and time it."""
    rss_start = server.rss_mib()
    peak = [0.0]
    sampler = asyncio.create_task(server.peak_rss(peak))
    cpu0, server0, started = time.process_time(), server.seconds(), time.perf_counter()
    try:
        events = await work()
    finally:
        sampler.cancel()
    seconds = time.perf_counter() - started
    server1 = server.seconds()
    server_cpu = server1 - server0 if server0 is not None and server1 is not None else None
    phase = Phase(
        key,
        label,
        seconds,
        events,
        time.process_time() - cpu0,
        server_cpu,
        baseline,
        float(loadavg().split()[0]),
        round(peak[0], 1) if peak[0] else None,
        None if rss_start is None else round(rss_start, 1),
    )
    print(f"  {label:<40}{seconds:>9.2f} s {phase.rate:>10,.0f} events/s", flush=True)
    return phase


async def fill_through_store(store: EventStore, filler: Filler, events: int) -> float:
    """The old, slow path: the same applicants appended through the store, 4 writers."""
    started = time.perf_counter()
    applicants, writers = max(events // EVENTS_PER_APPLICANT, 1), 4

    async def writer(w: int) -> None:
        for n in range(w, applicants, writers):
            stream_id, items = filler.events(n)
            request_id = items[0][0].model_dump()["request_id"]
            batch = [
                registry.to_new_event(
                    event, event_id=event_id, causation_id=causation, correlation_id=request_id
                )
                for event, event_id, causation in items
            ]
            stored = await store.append(stream_id, batch, 0)
            # Stand in for the relay: it keeps the outbox small in a running system.
            await store.clear_pending([r.position for r in stored])

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


async def history_reads(
    client: Any,
    name: str,
    filler: Filler,
    applicants: int,
    samples: int,
    seed: int,
    server: ServerProcess,
) -> dict[str, Any]:
    """`read_stream` of random applicants on a fresh store, one at a time, interleaved with
    two raw reads of other random applicants (so all three meet the same load): find_one
    of one event by `_id`, and the very command read_stream sends (`_id` `$in` the
    READ_AHEAD keys of versions 1..8, of which 4 exist)."""
    rng = random.Random(seed)  # noqa: S311 (sampling, not secrets)
    warm = 10
    picked = rng.sample(range(applicants), min(applicants, 3 * (samples + warm)))
    third = len(picked) // 3
    recorder = MongoRecorder(client[name])
    store = EventStore(recorder, KEYS)  # fresh: no stream cache, no heads
    collection = recorder.events
    ms: dict[str, list[float]] = {"read_stream": [], "raw_find_one": [], "raw_find_in": []}
    cpu_ms: dict[str, list[float]] = {k: [] for k in ms}
    server0 = server.seconds()
    for i in range(third):
        one = event_key(filler.events(picked[i])[0], rng.randint(1, EVENTS_PER_APPLICANT))
        window = filler.events(picked[third + i])[0]
        keys = [event_key(window, v) for v in range(1, 1 + store.READ_AHEAD)]
        stream_id = filler.events(picked[2 * third + i])[0]
        took: dict[str, tuple[float, float]] = {}

        cpu, started = time.process_time(), time.perf_counter()
        doc = await collection.find_one({"_id": one})
        took["raw_find_one"] = (time.perf_counter() - started, time.process_time() - cpu)
        assert doc is not None, one

        cpu, started = time.process_time(), time.perf_counter()
        docs = [d async for d in collection.find({"_id": {"$in": keys}}, batch_size=len(keys) + 1)]
        took["raw_find_in"] = (time.perf_counter() - started, time.process_time() - cpu)
        assert len(docs) == EVENTS_PER_APPLICANT, (window, len(docs))

        cpu, started = time.process_time(), time.perf_counter()
        records = await store.read_stream(stream_id)
        took["read_stream"] = (time.perf_counter() - started, time.process_time() - cpu)
        assert len(records) == EVENTS_PER_APPLICANT, (stream_id, len(records))

        if i >= warm:  # the first few warm the connection pool and the batchers
            for key, (wall, cpu_s) in took.items():
                ms[key].append(wall * 1000)
                cpu_ms[key].append(cpu_s * 1000)
    server1 = server.seconds()
    rs, raw = ms["read_stream"], ms["raw_find_one"]
    return {
        "samples": len(rs),
        "warm_up": warm,
        "read_ahead": store.READ_AHEAD,
        "server_cpu_s": None if server0 is None or server1 is None else round(server1 - server0, 2),
        "client_cpu_ms_mean": {k: round(statistics.fmean(v), 3) for k, v in cpu_ms.items()},
        **{k: latency_ms(v) for k, v in ms.items()},
        **{f"ratio_p{p}": ratio(percentile(rs, p), percentile(raw, p)) for p in (50, 95, 99)},
    }


async def main(args: argparse.Namespace) -> None:
    settings = InfraSettings()
    client = mongo_client(settings)
    name = args.db or f"jemput_bench_audit_{uuid.uuid4().hex[:6]}"
    db = client[name]
    recorder = MongoRecorder(db)
    store = EventStore(recorder, KEYS)
    await recorder.initialize()
    server = ServerProcess(args.server_pid)
    # The filled events hold no sealed fields (fill.py writes them in clear, as schema v1
    # did): opening them needs no stored data key, only the policies.
    personal = PersonalData(
        InMemoryDataKeys(),
        settings.keyring(),
        load_policy(settings.retention_policy),
        load_policy,
    )
    loadavg_start, started_at = loadavg(), datetime.now(UTC)
    filler = Filler(
        KEYS,
        PSEUDONYM_KEY,
        VerificationSettings().rule_set_id,
        RUN_ID,
        jakarta_today(),
        started_at - timedelta(days=1),
    )
    applicants = max(args.events // EVENTS_PER_APPLICANT, 1)
    existing = await recorder.events.estimated_document_count()
    fill: dict[str, Any] = {
        "events": existing,
        "applicants": existing // EVENTS_PER_APPLICANT,
        "method": "reused",
        "seconds": None,
        "events_per_second": None,
    }
    if existing == 0:
        if args.fill_through_store:
            seconds = await fill_through_store(store, filler, args.events)
            total = applicants * EVENTS_PER_APPLICANT
            fill = {
                "events": total,
                "applicants": applicants,
                "method": "through EventStore.append (4 writers)",
                "seconds": round(seconds, 2),
                "events_per_second": round(total / seconds, 1),
            }
        else:
            fill = await fast_fill(db, filler, args.events, args.fill_batch, args.fill_in_flight)
            fill["method"] = (
                f"by pipeline/fill.py (insert_many of {args.fill_batch}, "
                f"{args.fill_in_flight} in flight)"
            )
        print(f"filled {fill['events']:,} events {fill['method']} in {fill['seconds']} s")
    elif existing < applicants * EVENTS_PER_APPLICANT:
        raise SystemExit(f"{name} holds {existing:,} events, fewer than asked: use another --db")
    count = await recorder.events.estimated_document_count()
    print(f"~{count:,} events in {name} on {settings.mongo_url}; measuring", flush=True)

    async def scan(sort: list[tuple[str, int]] | None) -> int:
        cursor = recorder.events.find({}, batch_size=1000)
        if sort:
            cursor = cursor.sort(sort)
        seen = 0
        async for _ in cursor:
            seen += 1
        return seen

    async def raw_scan() -> int:
        return await scan(None)

    async def raw_sorted_scan() -> int:
        return await scan([("stream_id", ASCENDING), ("version", ASCENDING)])

    async def raw_position_scan() -> int:
        return await scan([("position", ASCENDING)])

    async def verify() -> int:
        report = await store.verify()
        assert report.ok, report.breaks[:3]
        return report.events_checked

    async def digest() -> int:
        point = await checkpoint(store.raw_documents(), datetime.now(UTC), KEYS)
        return point.events

    statuses: Counter[str] = Counter()

    async def rebuild_all() -> int:
        rebuilt = await rebuild(store, personal)
        statuses.clear()
        statuses.update(r["status"] for r in rebuilt.request_status.values())
        return rebuilt.events

    rounds: list[list[Phase]] = []
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", flush=True)
        rounds.append(
            [
                await timed("raw_scan", "raw scan (find {}, no sort)", raw_scan, server),
                await timed(
                    SORTED_BY_STREAM, "raw scan sorted by stream, version", raw_sorted_scan, server
                ),
                await timed("verify", "verify the whole store", verify, server, SORTED_BY_STREAM),
                await timed(
                    "digest", "store digest (verifies too)", digest, server, SORTED_BY_STREAM
                ),
                await timed(
                    SORTED_BY_POSITION, "raw scan sorted by position", raw_position_scan, server
                ),
                await timed(
                    "rebuild", "rebuild every read model", rebuild_all, server, SORTED_BY_POSITION
                ),
            ]
        )
    phases = median_phases(rounds)
    count = phases[0].events  # the unsorted scan's count; every walk must see the same
    for p in (p for phases_ in rounds for p in phases_):
        assert p.events == count, (p.key, p.events, count)
    assert fill["seconds"] is None or fill["events"] == count, (fill["events"], count)
    history = await history_reads(
        client, name, filler, count // EVENTS_PER_APPLICANT, args.samples, args.seed, server
    )
    for key in ("read_stream", "raw_find_one", "raw_find_in"):
        h = history[key]
        print(f"  {key:<14} p50/p95/p99 {h['p50_ms']:.2f}/{h['p95_ms']:.2f}/{h['p99_ms']:.2f} ms")
    report: dict[str, Any] = {
        "date": started_at.date().isoformat(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": count,
        "machine": machine(),
        "loadavg_start": loadavg_start,
        "loadavg_end": loadavg(),
        "server": server_name(await client.server_info(), REPO),
        "mongo_url": settings.mongo_url,
        "server_pid": args.server_pid,
        "server_cmdline": server.cmdline(),
        "database": name,
        "options": vars(args),
        "fill": fill,
        "rounds": len(rounds),
        "phases": phase_rows(phases, rounds),
        "rebuilt_request_status": dict(statuses),
        "history": history,
        "all_rounds": [[asdict(p) for p in phases_] for phases_ in rounds],
    }
    if not args.keep:
        await client.drop_database(name)
    await client.close()
    if args.out_dir:
        print(f"wrote {write(Path(args.out_dir), report)}.json and .md")
    print(markdown(report))


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database to use (reused if it holds events)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--fill-through-store",
        action="store_true",
        help="append through EventStore.append (slow: ~18 min per 100k) instead of fill.py",
    )
    parser.add_argument("--fill-batch", type=int, default=1000, help="events per insert_many")
    parser.add_argument("--fill-in-flight", type=int, default=4, help="insert_many in flight")
    parser.add_argument("--samples", type=int, default=1000, help="applicant histories to read")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the scans this many times; report the median"
    )
    parser.add_argument(
        "--server-pid", type=int, default=None, help="the server's pid, for its CPU per phase"
    )
    parser.add_argument(
        "--out-dir", default=str(REPO / "docs" / "bench"), help="'' to write nothing"
    )
    parser.add_argument("--rewrite", type=Path, help="only rewrite this saved report (JSON)")
    args = parser.parse_args()
    if args.rewrite:
        rewrite(args.rewrite)
    else:
        asyncio.run(main(args))
