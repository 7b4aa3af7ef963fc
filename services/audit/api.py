"""The audit interface over HTTP: read-only, auditors only, every read recorded with a case."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.audit.api_examples import EVENTS_EXAMPLE, EXPLANATION_EXAMPLE
from services.audit.broken import NO_EVENTS_DETAIL
from services.audit.erasure import Erasure
from services.audit.explain import Explanation
from services.audit.replay import Change, HistoryLine, RequestView
from services.audit.service import Auditor, AuditService
from shared.domain.requests import Digits16, Text
from shared.event_schema import RecordedEvent
from shared.event_schema.base import utc_millis
from shared.eventstore.chain import BreakKind, ChainBreak
from shared.eventstore.digest import Checkpoint
from shared.formats.instant import Instant
from shared.repositories.access_log import CASE_PATTERN, AccessRecord
from shared.web.api_errors import BROKEN, GUARDED, WITH_BODY, errors
from shared.web.http import Caller, Role, invalid_parameter, requires

router = APIRouter(prefix="/v1/audit", responses=errors(*GUARDED))
AuditorRole = Annotated[Caller, Depends(requires(Role.AUDITOR))]
Case = Annotated[
    str,
    Query(
        pattern=CASE_PATTERN,
        description="The case this read is for, e.g. INSP-2026-041 (letters, digits, . _ / : -)",
    ),
]


def service(request: Request) -> AuditService:
    audit: AuditService = request.app.state.audit
    return audit


Service = Annotated[AuditService, Depends(service)]
TrackingCode = Annotated[
    str, Path(description="A request's tracking code", examples=["JB-7Q2XK-M4RTA"])
]
NO_CODE = "no request with this tracking code"
NO_EVENTS = {**errors(404, e404="no events for this applicant"), **BROKEN}
MAX_OFFSET = 1_000_000_000  # paging further is a mistake, and past 2**63 the store overflows


class NikLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nik: Digits16


class StreamRef(BaseModel):
    stream_id: str


@router.post("/lookup", response_model=StreamRef, responses=errors(*WITH_BODY))
async def lookup(body: NikLookup, case: Case, caller: AuditorRole, s: Service) -> StreamRef:
    """An applicant's stream id from their NIK (sent in the body, never in a URL); recorded
    in the access log, as finding whom a NIK belongs to is itself a read."""
    stream_id = s.stream_of_nik(body.nik)
    await s.access.record(caller.name, "lookup", stream_id, case)
    return StreamRef(stream_id=stream_id)


@router.get("/tracking/{code}", response_model=StreamRef, responses=errors(404, e404=NO_CODE))
async def by_tracking_code(
    code: TrackingCode, case: Case, caller: AuditorRole, s: Service
) -> StreamRef:
    stream_id = await s.stream_of_code(code)
    await s.access.record(caller.name, "tracking", stream_id, case)
    return StreamRef(stream_id=stream_id)


@router.get(
    "/tracking/{code}/explain",
    response_model=list[Explanation],
    responses={**errors(404, e404=NO_CODE), **BROKEN, 200: EXPLANATION_EXAMPLE},
)
async def explain_by_code(
    code: TrackingCode, case: Case, caller: AuditorRole, s: Service
) -> list[Explanation]:
    """The rule-by-rule explanation of every decision on the request with this code, in
    one call: the recorded rule set re-run on the recorded inputs, and today's rules
    beside it. Recorded in the access log as an `explain` read."""
    return await s.explain_code(_who(caller, case), code)


def _who(caller: Caller, case: str) -> Auditor:
    return Auditor(caller.name, case)


@router.get("/streams/{stream_id}/history", response_model=list[HistoryLine], responses=NO_EVENTS)
async def history(
    stream_id: str,
    case: Case,
    caller: AuditorRole,
    s: Service,
    request_id: str | None = None,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(100, ge=1, le=1000),
) -> list[HistoryLine]:
    return await s.history(_who(caller, case), stream_id, request_id, offset, limit)


@router.get(
    "/streams/{stream_id}/events",
    response_model=list[RecordedEvent],
    responses={**NO_EVENTS, 200: EVENTS_EXAMPLE},
)
async def raw_events(
    stream_id: str,
    case: Case,
    caller: AuditorRole,
    s: Service,
    request_id: Annotated[
        str | None,
        Query(
            description="Only the events of this request (empty if it has none here)",
            examples=["tablet07-20261129-0001"],
        ),
    ] = None,
) -> list[RecordedEvent]:
    """Every stored event as it is, chain hashes included; or one request's."""
    return await s.raw(_who(caller, case), stream_id, request_id)


@router.get(
    "/streams/{stream_id}/state", response_model=dict[str, RequestView], responses=NO_EVENTS
)
async def state(
    stream_id: str,
    case: Case,
    caller: AuditorRole,
    s: Service,
    at: Instant | None = None,
    version: int | None = Query(None, ge=1),
) -> dict[str, RequestView]:
    return await s.state(_who(caller, case), stream_id, at, version)


@router.get("/streams/{stream_id}/diff", response_model=list[Change], responses=NO_EVENTS)
async def diff(
    stream_id: str,
    case: Case,
    caller: AuditorRole,
    s: Service,
    before: Instant,
    after: Instant,
) -> list[Change]:
    if before > after:  # the changes would read backwards: every field "removed"
        raise invalid_parameter("before", "before is after after")
    return await s.diff(_who(caller, case), stream_id, before, after)


@router.get(
    "/streams/{stream_id}/requests/{request_id}/explain",
    response_model=list[Explanation],
    responses={**errors(404, e404="no events for this applicant, or no such request"), **BROKEN},
)
async def explain(
    stream_id: str, request_id: str, case: Case, caller: AuditorRole, s: Service
) -> list[Explanation]:
    return await s.explain(_who(caller, case), stream_id, request_id)


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    classes: list[Literal["contact"]] = Field(min_length=1, max_length=1)
    reason: Text


@router.post(
    "/streams/{stream_id}/erasure",
    response_model=Erasure,
    responses={**errors(*WITH_BODY, 404, e404="no events for this applicant"), **BROKEN},
)
async def erase(
    stream_id: str, body: ErasureRequest, case: Case, caller: AuditorRole, s: Service
) -> Erasure:
    """Erase an applicant's erasable personal data (crypto-shredding: their data keys of
    those classes are destroyed), recorded in the log and the access log. Kept (legal)
    data stays; events stored in clear before sealing cannot be erased (counted)."""
    return await s.erase(_who(caller, case), stream_id, list(body.classes), body.reason)


@router.get(
    "/streams/{stream_id}/documents",
    response_model=list[dict[str, Any]],
    responses=errors(404, e404=NO_EVENTS_DETAIL),
)
async def stored_documents(
    stream_id: str, case: Case, caller: AuditorRole, s: Service
) -> list[dict[str, Any]]:
    """The applicant's stored event documents exactly as they are, unchecked: to see what
    was done to a stream whose chain is broken (which other reads refuse with 409).
    Personal fields stay sealed; recorded in the access log. Scans the store: slow."""
    return await s.documents(_who(caller, case), stream_id)


EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get(
    "/streams/{stream_id}/export",
    response_class=Response,
    responses={
        **NO_EVENTS,
        200: {
            "description": "Every event: one JSON object a line, or CSV with a header row",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        },
    },
)
async def export(
    stream_id: str,
    case: Case,
    caller: AuditorRole,
    s: Service,
    format: Literal["jsonl", "csv"] = "jsonl",
) -> Response:
    text = await s.export(_who(caller, case), stream_id, format)
    return Response(text, media_type=EXPORT_TYPES[format])


class Break(BaseModel):
    """The first thing wrong in one applicant's chain."""

    stream_id: str
    version: int
    kind: BreakKind
    detail: str


class VerifyResult(BaseModel):
    ok: bool
    streams_checked: int
    events_checked: int
    breaks: list[Break]


def _breaks(breaks: list[ChainBreak]) -> list[Break]:
    return [
        Break(stream_id=b.stream_id, version=b.version, kind=b.kind, detail=b.detail)
        for b in breaks
    ]


@router.get(
    "/verify",
    response_model=VerifyResult,
    responses=errors(404, e404="one stream asked for, and it has no events: " + NO_EVENTS_DETAIL),
)
async def verify(_: AuditorRole, s: Service, stream_id: str | None = None) -> VerifyResult:
    """Walk one applicant's chain, or the whole store, and name the first break in each.
    A stream with no events is not `ok`: 404 (its deletion shows against a digest)."""
    report = await s.verify(stream_id)
    return VerifyResult(
        ok=report.ok,
        streams_checked=report.streams_checked,
        events_checked=report.events_checked,
        breaks=_breaks(report.breaks),
    )


@router.post("/digest", response_model=Checkpoint, responses=errors(*WITH_BODY))
async def digest(_: AuditorRole, s: Service, as_of: Instant | None = None) -> Checkpoint:
    """A sealed checkpoint of the whole store: keep it, check it later. `as_of` may not be
    in the future: a checkpoint of what has not happened yet would later fail for nothing."""
    if as_of is not None and as_of > utc_millis():
        raise invalid_parameter("as_of", "as_of is in the future")
    return await s.digest(as_of)


class DigestCheck(BaseModel):
    ok: bool
    now: Checkpoint


@router.post("/digest/check", response_model=DigestCheck, responses=errors(*WITH_BODY))
async def check_digest(body: Checkpoint, _: AuditorRole, s: Service) -> DigestCheck:
    ok, now = await s.check_digest(body)
    return DigestCheck(ok=ok, now=now)


@router.get("/access", response_model=list[AccessRecord])
async def access(
    case: Case,
    caller: AuditorRole,
    s: Service,
    stream_id: str | None = None,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(200, ge=1, le=1000),
) -> list[AccessRecord]:
    """Who read which applicant's history, when, for which case: newest first, a page at a
    time. Reading the access log is recorded in it too."""
    await s.access.record(caller.name, "access_log", stream_id, case)
    return await s.access.list(stream_id, offset=offset, limit=limit)
