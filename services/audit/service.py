"""The audit use cases, shared by the HTTP API and the command-line tool.

Every read of an applicant's history is recorded in the access log first: who, what,
which applicant (by pseudonym), and the case it was for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.audit import erasure, export, replay
from services.audit.broken import (
    NO_EVENTS_DETAIL,
    BrokenStreamError,
    first_break,
    stored_documents,
)
from services.audit.explain import Explanation, explain
from services.audit.projections import Rebuilt, rebuild
from shared.collections import (
    REVIEW_QUEUE,
    TRACKING_CODES,
)
from shared.domain.regions import RegionTable
from shared.domain.rules import RuleSet
from shared.event_schema import RecordedEvent
from shared.event_schema.base import utc_millis
from shared.eventstore.chain import ChainKeys, VerificationReport
from shared.eventstore.digest import Checkpoint, checkpoint, seal_valid
from shared.eventstore.errors import EventStoreError
from shared.eventstore.store import EventStore
from shared.observability import pipeline_metrics
from shared.repositories.access_log import AccessLogPort
from shared.repositories.histories import ApplicantHistories
from shared.repositories.tracking import TrackingIndex


class NotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Auditor:
    name: str
    case: str  # the case reference every read is recorded under


@dataclass(frozen=True)
class AuditService:
    store: EventStore
    histories: ApplicantHistories
    tracking: TrackingIndex
    access: AccessLogPort
    keys: ChainKeys
    rules: RuleSet
    regions: RegionTable
    db: AsyncDatabase[dict[str, Any]]

    # ---- finding an applicant -----------------------------------------------------------
    def stream_of_nik(self, nik: str) -> str:
        return self.histories.stream_of(nik)

    async def stream_of_code(self, code: str) -> str:
        found = await self.tracking.find(code)
        if found is None:
            raise NotFoundError("no request with this tracking code")
        return found.stream_id

    async def _read(
        self, who: Auditor, action: str, stream_id: str, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        """The stream's events, believed only as far as their chain holds."""
        await self.access.record(who.name, action, stream_id, who.case)
        try:
            records = await self.store.read_stream(stream_id)
        except (EventStoreError, ValueError, TypeError, KeyError):
            # A stored document that is not the event its key names: locate what was done.
            report = await self.store.verify(stream_id)
            if report.first_break is not None:
                raise BrokenStreamError(report.first_break) from None
            raise
        if (found := first_break(records, self.keys)) is not None:
            raise BrokenStreamError(found)
        records = [r for r in records if as_of is None or r.recorded_at <= as_of]
        if not records:
            raise NotFoundError("no events for this applicant")
        return records

    async def _read_opened(
        self, who: Auditor, action: str, stream_id: str, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        """Read, with personal fields opened (or erased): for the views that show them."""
        return await self.histories.personal.opened(await self._read(who, action, stream_id, as_of))

    # ---- reading ------------------------------------------------------------------------
    async def history(
        self,
        who: Auditor,
        stream_id: str,
        request_id: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[replay.HistoryLine]:
        records = await self._read_opened(who, "history", stream_id)
        return replay.lines(records, request_id)[offset : offset + limit]

    async def raw(
        self, who: Auditor, stream_id: str, request_id: str | None = None
    ) -> list[RecordedEvent]:
        """Every stored event, or only one request's (the events that name it)."""
        records = await self._read(who, "raw", stream_id)
        if request_id is None:
            return records
        return [r for r in records if r.payload.get("request_id") == request_id]

    async def state(
        self, who: Auditor, stream_id: str, at: datetime | None = None, version: int | None = None
    ) -> dict[str, replay.RequestView]:
        records = await self._read_opened(who, "state", stream_id, as_of=at)
        return replay.state(records if version is None else records[:version])

    async def diff(
        self, who: Auditor, stream_id: str, before: datetime, after: datetime
    ) -> list[replay.Change]:
        records = await self._read_opened(who, "diff", stream_id)
        return replay.diff(
            replay.state([r for r in records if r.recorded_at <= before]),
            replay.state([r for r in records if r.recorded_at <= after]),
        )

    async def explain(self, who: Auditor, stream_id: str, request_id: str) -> list[Explanation]:
        records = await self._read_opened(who, "explain", stream_id)
        return explain(records, request_id, self.rules, self.regions)

    async def explain_code(self, who: Auditor, code: str) -> list[Explanation]:
        """The explanation from a tracking code alone: what the code names is looked up
        (that finding is a read too, recorded with the explanation's own)."""
        found = await self.tracking.find(code)
        if found is None:
            raise NotFoundError("no request with this tracking code")
        return await self.explain(who, found.stream_id, found.request_id)

    async def documents(self, who: Auditor, stream_id: str) -> list[dict[str, Any]]:
        """The stream's stored documents as they are, unchecked and unopened: for a stream
        whose chain is broken, to see what was done (a scan: slow on a large store)."""
        await self.access.record(who.name, "documents", stream_id, who.case)
        found = await stored_documents(self.store.raw_documents(stream_id))
        if not found:
            raise NotFoundError(NO_EVENTS_DETAIL)
        return found

    async def export(self, who: Auditor, stream_id: str, fmt: str) -> str:
        records = await self._read(who, f"export-{fmt}", stream_id)
        return export.to_csv(records) if fmt == "csv" else export.to_jsonl(records)

    # ---- erasure (the one write auditors make) -------------------------------------------
    async def erase(
        self, who: Auditor, stream_id: str, classes: list[str], reason: str
    ) -> erasure.Erasure:
        records = await self._read(who, "erase", stream_id)
        return await erasure.erase(
            self.histories, stream_id, records, classes, who.case, who.name, reason
        )

    async def retention_sweep(self) -> list[erasure.Erasure]:
        return await erasure.sweep(self.histories)

    async def rotate_kek(self) -> int:
        """Re-wrap every data key under the current KEK; the log is not touched."""
        return await self.histories.personal.rotate()

    # ---- integrity ----------------------------------------------------------------------
    async def verify(
        self,
        stream_id: str | None = None,
        after_stream: str | None = None,
        progress: Callable[[VerificationReport, str], None] | None = None,
    ) -> VerificationReport:
        report = await self.store.verify(stream_id, after_stream, progress)
        if stream_id is not None and report.streams_checked == 0:
            raise NotFoundError(NO_EVENTS_DETAIL)  # not "ok": an empty stream proves nothing
        if stream_id is None and after_stream is None:  # the whole store: what alerts watch
            pipeline_metrics.chain_verified(report)
        return report

    async def digest(self, as_of: datetime | None = None) -> Checkpoint:
        """A checkpoint of the store as of a minute ago (appends under way have landed)."""
        moment = as_of or utc_millis() - timedelta(minutes=1)
        return await checkpoint(self.store.raw_documents(), moment, self.keys)

    async def check_digest(self, recorded: Checkpoint) -> tuple[bool, Checkpoint]:
        """Whether the store, as of the checkpoint's moment, still gives the same digest."""
        again = await checkpoint(self.store.raw_documents(), recorded.as_of, self.keys)
        return seal_valid(recorded, self.keys) and again.root == recorded.root, again

    # ---- read models ------------------------------------------------------------------
    async def rebuild(
        self, progress: Callable[[int], None] | None = None
    ) -> tuple[Rebuilt, dict[str, bool]]:
        """Rebuild the read models from the log, in memory, and compare them with the live
        ones services keep (intake's tracking codes, verification's review queue). Writes
        nothing: the audit keeps no read model of its own (docs/architecture.md)."""
        rebuilt = await rebuild(self.store, self.histories.personal, progress)
        # Decided entries stay a day (a late verifier is told who decided): not waiting.
        waiting = self.db[REVIEW_QUEUE].find({"decided_by": None}, {"_id": 1})
        live_queue = {d["_id"] async for d in waiting}
        live_codes = {
            d["_id"]: (d["stream_id"], d["request_id"])
            async for d in self.db[TRACKING_CODES].find({})
        }
        return rebuilt, {
            REVIEW_QUEUE: live_queue == rebuilt.review_queue,
            TRACKING_CODES: live_codes == rebuilt.tracking_codes,
        }
