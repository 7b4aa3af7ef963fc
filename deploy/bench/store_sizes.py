"""`_id` reads, updates, deletes and inserts of event-sized documents as a collection grows.

    nice -n 10 .venv/bin/python deploy/bench/store_sizes.py                 # 1k, 100k, 1M
    nice -n 10 .venv/bin/python deploy/bench/store_sizes.py --sizes 1000,100000 \\
        --baseline-url mongodb://127.0.0.1:27317/ --baseline-pid 4242     # beside another build

One collection (documents shaped like the event store's, ~650 bytes of BSON, `_id` =
`<stream>:<version, 10 digits>`, the indexes MongoRecorder.initialize creates) is grown
with insert_many batches of 1000 to each size, then measured at exactly that size: find_one
by `_id` (1000 random existing ids), find by `_id` `$in` 50 ids (200 commands), update_one
by `_id` with `$set` (200), delete_one by `_id` (100), then insert_one (1000, one client)
and insert_many (10 x 100), whose documents stay for the next size. Server CPU per command
is utime+stime of the server process (psutil) across each measurement.

With `--baseline-url` a second server (e.g. FerretDB without docs/adr/0006's patch) is
measured at the same sizes up to `--baseline-max-size`, interleaved with the first. Each
server's plan for an `_id` look-up (the `explain` command) is recorded beside its figures.
Results go to docs/bench/store-sizes-<date>.json and .md and are printed as a table.

The measurements are here, in the order they run, so that a reader can check what was
timed; the table and the Markdown are store_sizes_report.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bson
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from deploy.bench.store_sizes_report import (
    DELETES,
    FILL_BATCH,
    FIND_ONE_READS,
    IN_KEYS,
    IN_QUERIES,
    INSERT_MANY_BATCH,
    INSERT_MANY_BATCHES,
    INSERT_ONES,
    UPDATES,
    Measurement,
    SizeResult,
    markdown,
    table,
)
from deploy.benchkit.machine import loadavg, machine
from deploy.benchkit.percentiles import percentile
from deploy.benchkit.process import ServerProcess
from deploy.benchkit.reports import write_report

Doc = dict[str, Any]

REPO = Path(__file__).resolve().parents[2]
MIN_SAMPLES = 20  # a measurement cut short by --budget still has at least this many
EVENTS_PER_STREAM = 4
SEED = 20261129


def stream_id(n: int) -> str:
    return f"applicant-{n // EVENTS_PER_STREAM:08d}"


def version(n: int) -> int:
    return n % EVENTS_PER_STREAM + 1


def doc_id(n: int) -> str:
    return f"{stream_id(n)}:{version(n):010d}"


def event_doc(n: int) -> Doc:
    """Document number n, shaped like a stored event (shared/eventstore/recorder.py to_document)."""
    now = datetime(2026, 11, 29, 9, 15, tzinfo=UTC) + timedelta(milliseconds=n)
    return {
        "_id": doc_id(n),
        "event_id": str(uuid.uuid4()),
        "event_type": "RequestSubmitted",
        "schema_version": 1,
        "payload": {
            "request_id": f"tablet07-20261129-{n:08d}",
            "kind": "ektp_recording",
            "outreach_point": {
                "kind": "school",
                "name": f"SMAN {n % 90 + 1} Jakarta",
                "kecamatan_code": "317401",
            },
            "device_id": f"tablet-{n % 40:02d}",
        },
        "occurred_at": now,
        "causation_id": None,
        "correlation_id": None,
        "stream_id": stream_id(n),
        "version": version(n),
        "position": n + 1,
        "recorded_at": now,
        "key_id": "bench",
        "prev_hash": f"{n:064x}",
        "hash": f"{n + 1:064x}",
    }


@dataclass
class Target:
    label: str
    url: str
    cpu: ServerProcess
    max_size: int | None
    client: AsyncMongoClient[Doc] | None = None
    coll: AsyncCollection[Doc] | None = None
    db_name: str = ""
    next_n: int = 0
    live: list[int] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def collection(self) -> AsyncCollection[Doc]:
        assert self.coll is not None
        return self.coll


async def measure(
    target: Target,
    planned: int,
    docs_per_command: int,
    command: Callable[[int], Awaitable[None]],
    budget: float,
) -> Measurement:
    latencies: list[float] = []
    cpu_before = target.cpu.seconds()
    started = time.perf_counter()
    for i in range(planned):
        t = time.perf_counter()
        await command(i)
        latencies.append(time.perf_counter() - t)
        if time.perf_counter() - started > budget and len(latencies) >= MIN_SAMPLES:
            break
    seconds = time.perf_counter() - started
    cpu_after = target.cpu.seconds()
    cpu = (
        None
        if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) * 1000 / len(latencies)
    )
    return Measurement(
        commands=len(latencies),
        planned=planned,
        docs=len(latencies) * docs_per_command,
        seconds=seconds,
        p50_ms=(percentile(latencies, 50) or 0.0) * 1000,
        p99_ms=(percentile(latencies, 99) or 0.0) * 1000,
        cpu_ms_per_command=cpu,
    )


async def plan(target: Target, filter_: Doc) -> str:
    explained = await target.collection.database.command(
        "explain", {"find": target.collection.name, "filter": filter_}
    )
    planner = explained.get("queryPlanner", {})
    if "Plan" in planner:  # FerretDB/SQLite: EXPLAIN QUERY PLAN rows
        return "; ".join(str(row).split("detail=")[-1] for row in planner["Plan"])
    winning = planner.get("winningPlan", {})
    stages: list[str] = []
    while isinstance(winning, dict) and winning:
        stages.append(str(winning.get("stage", "?")))
        winning = winning.get("inputStage", {})
    return " <- ".join(stages) or repr(planner)[:200]


async def grow(target: Target, size: int, budget: float) -> Measurement:
    """insert_many batches of FILL_BATCH until the collection holds `size` documents."""
    missing = size - len(target.live)
    batches = max(0, math.ceil(missing / FILL_BATCH))

    async def insert_batch(_: int) -> None:
        count = min(FILL_BATCH, size - len(target.live))
        first = target.next_n
        await target.collection.insert_many([event_doc(first + k) for k in range(count)])
        target.live.extend(range(first, first + count))
        target.next_n += count

    if batches == 0:
        return Measurement(0, 0, 0, 0.0, math.nan, math.nan, None)
    result = await measure(target, batches, FILL_BATCH, insert_batch, budget=math.inf)
    result.docs = missing
    return result


async def at_size(target: Target, size: int, rng: random.Random, budget: float) -> SizeResult:
    coll = target.collection
    measurements: dict[str, Measurement] = {"grow": await grow(target, size, budget)}
    count = await coll.count_documents({}) if size <= 100_000 else len(target.live)
    assert count == len(target.live) == size, (count, len(target.live), size)
    some = doc_id(rng.choice(target.live))
    result = SizeResult(
        server=target.label,
        size=size,
        docs_before_reads=len(target.live),
        plan_find_one=await plan(target, {"_id": some}),
        plan_find_in=await plan(target, {"_id": {"$in": [some, doc_id(target.live[0])]}}),
        measurements=measurements,
    )

    reads = [doc_id(n) for n in rng.sample(target.live, min(FIND_ONE_READS, size))]

    async def find_one(i: int) -> None:
        found = await coll.find_one({"_id": reads[i % len(reads)]})
        assert found is not None

    measurements["find_one"] = await measure(target, FIND_ONE_READS, 1, find_one, budget)

    async def find_in(_: int) -> None:
        keys = [doc_id(n) for n in rng.sample(target.live, IN_KEYS)]
        found = await coll.find({"_id": {"$in": keys}}, batch_size=IN_KEYS).to_list(None)
        assert len(found) == IN_KEYS, len(found)

    measurements["find_in"] = await measure(target, IN_QUERIES, IN_KEYS, find_in, budget)

    async def update_one(i: int) -> None:
        key = doc_id(rng.choice(target.live))
        done = await coll.update_one({"_id": key}, {"$set": {"payload.touched": i}})
        assert done.matched_count == 1

    measurements["update_one"] = await measure(target, UPDATES, 1, update_one, budget)

    async def delete_one(_: int) -> None:
        at = rng.randrange(len(target.live))
        n = target.live[at]
        target.live[at] = target.live[-1]
        target.live.pop()
        done = await coll.delete_one({"_id": doc_id(n)})
        assert done.deleted_count == 1

    measurements["delete_one"] = await measure(target, DELETES, 1, delete_one, budget)

    async def insert_one(_: int) -> None:
        n = target.next_n
        target.next_n += 1
        await coll.insert_one(event_doc(n))
        target.live.append(n)

    measurements["insert_one"] = await measure(target, INSERT_ONES, 1, insert_one, budget)

    async def insert_many(_: int) -> None:
        first = target.next_n
        target.next_n += INSERT_MANY_BATCH
        await coll.insert_many([event_doc(first + k) for k in range(INSERT_MANY_BATCH)])
        target.live.extend(range(first, first + INSERT_MANY_BATCH))

    measurements["insert_many"] = await measure(
        target, INSERT_MANY_BATCHES, INSERT_MANY_BATCH, insert_many, budget
    )
    return result


async def connect(target: Target) -> None:
    target.client = AsyncMongoClient(target.url, tz_aware=True)
    build = await target.client.admin.command("buildInfo")
    target.db_name = f"jemput_bench_sizes_{uuid.uuid4().hex[:8]}"
    target.coll = target.client[target.db_name]["events"]
    # The indexes MongoRecorder.initialize creates (shared/eventstore/mongo.py).
    await target.coll.create_index("event_id", unique=True, name="event_id")
    await target.coll.create_index("position", unique=True, name="position")
    await target.coll.create_index(
        [("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"
    )
    cmdline = target.cpu.cmdline()
    port = str(urlsplit(target.url).port or 27017)
    if target.cpu.pid is not None and (cmdline is None or port not in cmdline):
        print(
            f"warning: pid {target.cpu.pid} ({cmdline or 'not running'}) does not look like "
            f"the server on port {port}: its CPU figures may be someone else's",
            file=sys.stderr,
        )
    target.info = {
        "label": target.label,
        "url": target.url,
        "server_pid": target.cpu.pid,
        "server_cmdline": cmdline,
        "reports_mongodb_version": build.get("version"),
        "ferretdb": "ferretdbVersion" in build,
        "max_size": target.max_size,
        "database": target.db_name,
    }


async def main(args: argparse.Namespace) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    targets = [Target(args.label, args.url, ServerProcess(args.server_pid), None)]
    if args.baseline_url:
        targets.append(
            Target(
                args.baseline_label,
                args.baseline_url,
                ServerProcess(args.baseline_pid),
                args.baseline_max_size,
            )
        )
    rng = random.Random(SEED)  # noqa: S311 (picks ids to read, not security)
    started = datetime.now().astimezone()
    loadavg_start = loadavg()
    for target in targets:
        await connect(target)
    results: list[SizeResult] = []
    try:
        for size in sizes:
            for target in targets:
                if target.max_size is not None and size > target.max_size:
                    continue
                t0 = time.perf_counter()
                result = await at_size(target, size, rng, args.budget)
                results.append(result)
                ms = result.measurements
                print(
                    f"{target.label} {size:>9,}: {time.perf_counter() - t0:6.0f}s  "
                    f"find_one p50 {ms['find_one'].p50_ms:.2f} ms, "
                    f"$in p50 {ms['find_in'].p50_ms:.2f} ms, "
                    f"update p50 {ms['update_one'].p50_ms:.2f} ms  [{result.plan_find_one}]",
                    flush=True,
                )
    finally:
        for target in targets:
            if target.client is not None:
                if not args.keep:
                    await target.client.drop_database(target.db_name)
                await target.client.close()

    body = table(results, targets, sizes)
    report: dict[str, Any] = {
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "loadavg_start": loadavg_start,
        "loadavg_end": loadavg(),
        "sizes": sizes,
        "budget_seconds": args.budget,
        "document_bson_bytes": len(bson.encode(event_doc(123_456))),
        "servers": [t.info for t in targets],
        "results": [
            {
                **{k: v for k, v in asdict(r).items() if k != "measurements"},
                "measurements": {
                    k: {**asdict(m), "docs_per_s": m.docs_per_s} for k, m in r.measurements.items()
                },
            }
            for r in results
        ],
        "table_markdown": body,
    }
    print()
    print(body)
    stem = write(Path(args.out_dir), report, body)
    print(f"\nwrote {stem}.json and {stem}.md")


def write(out: Path, report: dict[str, Any], body: str) -> Path:
    return write_report(out, f"store-sizes-{report['date']}", report, markdown(report, body))


def default_pid() -> int | None:
    state = Path(os.environ.get("JEMPUT_STATE_DIR", REPO / ".local"))
    try:
        return int((state / "run" / "ferretdb.pid").read_text().strip())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument(
        "--url", default=os.environ.get("JEMPUT_MONGO_URL", "mongodb://127.0.0.1:27017/")
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        default=default_pid(),
        help="the server's pid, for its CPU (default: $JEMPUT_STATE_DIR/run/ferretdb.pid)",
    )
    parser.add_argument("--label", default="patched")
    parser.add_argument("--baseline-url", default=None, help="a second server to compare with")
    parser.add_argument("--baseline-pid", type=int, default=None)
    parser.add_argument("--baseline-label", default="unpatched")
    parser.add_argument(
        "--baseline-max-size",
        type=int,
        default=100_000,
        help="largest size measured on the baseline (an unpatched FerretDB scans per look-up)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help=f"seconds per measurement before it stops early (keeping >= {MIN_SAMPLES} samples)",
    )
    parser.add_argument("--out-dir", default=str(REPO / "docs" / "bench"))
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    asyncio.run(main(parser.parse_args()))
