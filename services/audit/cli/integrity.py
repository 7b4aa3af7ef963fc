"""Integrity: verify the chain, digests kept outside, exports checked offline, read models
rebuilt from the log."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.audit.cli.common import (
    CaseOpt,
    Code,
    MaybeMoment,
    Nik,
    Stream,
    Who,
    app,
    console,
    resolve,
    run,
    show,
)
from services.audit.export import verify_export
from services.audit.service import Auditor, AuditService
from services.audit.settings import AuditSettings
from shared.collections import EVENTS
from shared.eventstore.digest import Checkpoint

PANEL = "Integrity and exports"


@app.command(rich_help_panel=PANEL)
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


@app.command(rich_help_panel=PANEL)
def digest(as_of: MaybeMoment = None) -> None:
    """Print a sealed checkpoint of the whole store (JSON): keep it to check later."""
    if as_of is not None and as_of > datetime.now(UTC):
        raise typer.BadParameter("--as-of is in the future")
    sys.stdout.write(run(lambda s: s.digest(as_of)).model_dump_json() + "\n")


@app.command("check-digest", rich_help_panel=PANEL)
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


@app.command(rich_help_panel=PANEL)
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


@app.command(rich_help_panel=PANEL)
def documents(
    who: Who, case: CaseOpt, nik: Nik = None, code: Code = None, stream: Stream = None
) -> None:
    """Print the applicant's stored event documents as they are (JSON lines), unchecked and
    unopened: what was done to a stream whose chain is broken. Access-logged."""

    async def work(s: AuditService) -> list[dict[str, Any]]:
        return await s.documents(Auditor(who, case), await resolve(s, nik, code, stream))

    for doc in run(work):
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")


@app.command("verify-export", rich_help_panel=PANEL)
def verify_exported(file: Path, format: str = "jsonl") -> None:
    """Check an exported history offline, with nothing but the chain key. Exit 1 if broken."""
    events, breaks = verify_export(file.read_text(), AuditSettings().chain_keys(), format)
    for b in breaks:
        console.print(f"{b.stream_id} v{b.version}: {b.kind}: {b.detail}", highlight=False)
    console.print(f"{events} events: {'intact' if not breaks else 'BROKEN'}", highlight=False)
    if breaks:
        raise typer.Exit(1)


@app.command(rich_help_panel=PANEL)
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
