"""Reading an applicant's history: every read names who reads and for which case."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from services.audit.cli.common import (
    CaseOpt,
    Code,
    MaybeMoment,
    Moment,
    Nik,
    Stream,
    Who,
    app,
    resolve,
    run,
    show,
)
from services.audit.service import Auditor, AuditService

PANEL = "Reading a history"


@app.command(rich_help_panel=PANEL)
def history(
    who: Who,
    case: CaseOpt,
    nik: Nik = None,
    code: Code = None,
    stream: Stream = None,
    request: str | None = None,
    raw: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> None:
    """Every event of an applicant's log, in order (readable, or --raw JSON)."""

    async def work(s: AuditService) -> None:
        sid = await resolve(s, nik, code, stream)
        if raw:
            for record in await s.raw(Auditor(who, case), sid):
                sys.stdout.write(record.model_dump_json() + "\n")
            return
        lines = await s.history(Auditor(who, case), sid, request, offset, limit)
        show(
            lines, ["version", "recorded_at", "event_type", "actor", "summary"], f"history of {sid}"
        )

    run(work)


@app.command(rich_help_panel=PANEL)
def state(
    who: Who,
    case: CaseOpt,
    nik: Nik = None,
    code: Code = None,
    stream: Stream = None,
    at: MaybeMoment = None,
    version: int | None = None,
) -> None:
    """The applicant's requests as they were at a time (--at) or version (--version)."""

    async def work(s: AuditService) -> None:
        views = await s.state(Auditor(who, case), await resolve(s, nik, code, stream), at, version)
        show(views.values(), ["tracking_code", "kind", "status", "reasons", "documents"], "state")

    run(work)


@app.command(rich_help_panel=PANEL)
def diff(
    who: Who,
    case: CaseOpt,
    before: Moment,
    after: Moment,
    nik: Nik = None,
    code: Code = None,
    stream: Stream = None,
) -> None:
    """What changed in the applicant's requests between two moments."""

    async def work(s: AuditService) -> None:
        changes = await s.diff(
            Auditor(who, case), await resolve(s, nik, code, stream), before, after
        )
        show(changes, ["request_id", "field", "before", "after"], "changes")

    run(work)


@app.command(rich_help_panel=PANEL)
def explain(
    who: Who,
    case: CaseOpt,
    request: Annotated[
        str | None, typer.Option(help="The request id (not needed with --code)")
    ] = None,
    nik: Nik = None,
    code: Code = None,
    stream: Stream = None,
) -> None:
    """Re-run the recorded rule set on the recorded inputs; and today's rules beside it.
    `--code JB-…` alone is enough: the code names the request."""

    async def work(s: AuditService) -> None:
        if code and not request:
            explained = await s.explain_code(Auditor(who, case), code)
        elif request:
            sid = await resolve(s, nik, code, stream)
            explained = await s.explain(Auditor(who, case), sid, request)
        else:
            raise typer.BadParameter("name the request: --code, or --request with the applicant")
        for e in explained:
            show(
                [
                    {
                        "rule": r.rule,
                        "recorded": f"{r.effect} {r.reason or ''}",
                        "replayed": f"{p.effect} {p.reason or ''}",
                    }
                    for r, p in zip(e.recorded, e.replayed, strict=False)
                ],
                ["rule", "recorded", "replayed"],
                f"{e.decided} under {e.rule_set_id}: replay "
                f"{'matches' if e.replay_matches else 'DIFFERS'}; "
                f"today ({e.today_rule_set_id}): {e.today}",
            )

    run(work)


@app.command(rich_help_panel=PANEL)
def access(stream: Stream = None) -> None:
    """Who read which applicant's history, when, for which case."""
    show(
        run(lambda s: s.access.list(stream)),
        ["at", "caller", "action", "stream_id", "case_reference"],
        "access",
    )
