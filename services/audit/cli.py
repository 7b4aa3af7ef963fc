"""`jemput-audit`: the audit interface on the command line (same code as the HTTP API).

Tables and progress bars on a terminal; JSON lines when piped. Needs the database and the
chain key (JEMPUT_* settings), as an auditor's workstation has them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.audit.export import verify_export
from services.audit.service import Auditor, AuditService
from services.audit.settings import AuditSettings
from services.audit.wiring import audit_service
from shared.access_log import CASE_PATTERN, READER_PATTERN
from shared.collections import EVENTS
from shared.eventstore.digest import Checkpoint
from shared.runtime import mongo_client

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console()
T = TypeVar("T")


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise typer.BadParameter(f"{what}: letters, digits and . _ / : - (3 to 100)")
        return value

    return check


# Times need their zone (e.g. 2026-11-30T10:00:00+07:00 or ...Z): a time without one
# means a different moment to every reader.
AWARE = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"]
Who = Annotated[
    str,
    typer.Option(
        "--as",
        help="Your name, recorded with every read",
        callback=_matching(READER_PATTERN, "--as"),
    ),
]
CaseOpt = Annotated[
    str,
    typer.Option(
        "--case",
        help="The case reference this read is for",
        callback=_matching(CASE_PATTERN, "--case"),
    ),
]
Moment = Annotated[datetime, typer.Option(formats=AWARE)]
MaybeMoment = Annotated[datetime | None, typer.Option(formats=AWARE)]
Nik = Annotated[str | None, typer.Option(help="The applicant's NIK")]
Code = Annotated[str | None, typer.Option(help="A tracking code of one of their requests")]
Stream = Annotated[str | None, typer.Option(help="The applicant's stream id")]


def run(work: Callable[[AuditService], Awaitable[T]]) -> T:
    async def go() -> T:
        settings = AuditSettings()
        client = mongo_client(settings)
        try:
            return await work(await audit_service(settings, client))
        finally:
            await client.close()

    return asyncio.run(go())


async def resolve(s: AuditService, nik: str | None, code: str | None, stream: str | None) -> str:
    if stream:
        return stream
    if nik:
        return s.stream_of_nik(nik)
    if code:
        return await s.stream_of_code(code)
    raise typer.BadParameter("name the applicant: --nik, --code or --stream")


def show(rows: Iterable[BaseModel | dict[str, Any]], columns: list[str], title: str) -> None:
    dicts = [r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in rows]
    if not console.is_terminal:
        for row in dicts:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in dicts:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
def verify(
    stream: Stream = None,
    after: Annotated[str | None, typer.Option(help="Resume after this stream id")] = None,
) -> None:
    """Check one chain or the whole store; name the first break in each stream. Exit 1 if any."""

    async def work(s: AuditService) -> bool:
        total = await s.db[EVENTS].estimated_document_count() if stream is None else None
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("events", total=total)
            report = await s.verify(
                stream, after, lambda r, _: bar.update(task, completed=r.events_checked)
            )
        show(
            [
                {"stream_id": b.stream_id, "version": b.version, "kind": b.kind, "detail": b.detail}
                for b in report.breaks
            ],
            ["stream_id", "version", "kind", "detail"],
            "breaks",
        )
        console.print(
            f"{report.events_checked} events in {report.streams_checked} streams: "
            f"{'intact' if report.ok else f'{len(report.breaks)} broken'}"
            f"; last stream {report.last_stream}",
            highlight=False,
        )
        return report.ok

    if not run(work):
        raise typer.Exit(1)


@app.command()
def digest(as_of: MaybeMoment = None) -> None:
    """Print a sealed checkpoint of the whole store (JSON): keep it to check later."""
    if as_of is not None and as_of > datetime.now(UTC):
        raise typer.BadParameter("--as-of is in the future")
    sys.stdout.write(run(lambda s: s.digest(as_of)).model_dump_json() + "\n")


@app.command("check-digest")
def check_digest(checkpoint: Path) -> None:
    """Whether the store still gives a recorded checkpoint. Exit 1 if not."""
    recorded = Checkpoint.model_validate_json(checkpoint.read_text())
    ok, now = run(lambda s: s.check_digest(recorded))
    console.print(
        f"{'unchanged' if ok else 'CHANGED'} since {recorded.as_of}: root {now.root}",
        highlight=False,
    )
    if not ok:
        raise typer.Exit(1)


@app.command()
def export(
    who: Who,
    case: CaseOpt,
    out: Path,
    nik: Nik = None,
    code: Code = None,
    stream: Stream = None,
    format: str = "jsonl",
) -> None:
    """Write the applicant's history, with its chain hashes, as JSON Lines or CSV."""

    async def work(s: AuditService) -> str:
        return await s.export(Auditor(who, case), await resolve(s, nik, code, stream), format)

    out.write_text(run(work))
    console.print(f"wrote {out}", highlight=False)


@app.command("verify-export")
def verify_exported(file: Path, format: str = "jsonl") -> None:
    """Check an exported history offline, with nothing but the chain key. Exit 1 if broken."""
    events, breaks = verify_export(file.read_text(), AuditSettings().chain_keys(), format)
    for b in breaks:
        console.print(f"{b.stream_id} v{b.version}: {b.kind}: {b.detail}", highlight=False)
    console.print(f"{events} events: {'intact' if not breaks else 'BROKEN'}", highlight=False)
    if breaks:
        raise typer.Exit(1)


@app.command()
def rebuild() -> None:
    """Rebuild every read model from the log; compare with the live ones. Exit 1 if unequal."""

    async def work(s: AuditService) -> bool:
        with Progress(
            TextColumn("replaying"),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("events", total=None)
            rebuilt, same = await s.rebuild(lambda n: bar.update(task, completed=n))
        console.print(
            f"{rebuilt.events} events in {rebuilt.seconds:.2f}s ({rebuilt.rate:.0f}/s); "
            + ", ".join(f"{k}: {'equal' if v else 'DIFFERENT'}" for k, v in same.items()),
            highlight=False,
        )
        return all(same.values())

    if not run(work):
        raise typer.Exit(1)


@app.command()
def access(stream: Stream = None) -> None:
    """Who read which applicant's history, when, for which case."""
    show(
        run(lambda s: s.access.list(stream)),
        ["at", "caller", "action", "stream_id", "case_reference"],
        "access",
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()


# Registers the personal-data commands on `app` (they use this module's helpers).
from services.audit import privacy_cli  # noqa: E402, F401
