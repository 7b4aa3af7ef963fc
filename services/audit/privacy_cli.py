"""`jemput-audit` commands for personal data: erase, retention-sweep, rotate-kek, and
dead letters (list, show with the keys, replay to their source topic)."""

from __future__ import annotations

from typing import Annotated

import typer

from services.audit.cli import CaseOpt, Stream, Who, app, console, run, show
from services.audit.service import Auditor, AuditService


@app.command()
def erase(
    who: Who,
    case: CaseOpt,
    stream: Stream = None,
    reason: Annotated[str, typer.Option(help="Why (no personal data)")] = "request",
) -> None:
    """Erase the applicant's contact data (their contact data key is destroyed)."""
    if not stream:
        raise typer.BadParameter("name the applicant: --stream")

    async def work(s: AuditService) -> None:
        done = await s.erase(Auditor(who, case), stream, ["contact"], reason)
        show([done], ["stream_id", "classes", "keys_destroyed", "clear_text_events"], "erased")

    run(work)


@app.command("retention-sweep")
def retention_sweep() -> None:
    """Erase contact data of applicants whose requests closed longer ago than the policy keeps."""

    async def work(s: AuditService) -> None:
        done = await s.retention_sweep()
        show(done, ["stream_id", "classes", "keys_destroyed", "clear_text_events"], "erased")
        console.print(f"{len(done)} applicant(s) erased", highlight=False)

    run(work)


@app.command("rotate-kek")
def rotate_kek() -> None:
    """Re-wrap every data key under JEMPUT_DATA_KEK (old KEKs in JEMPUT_DATA_OLD_KEKS)."""
    count = run(lambda s: s.rotate_kek())
    console.print(f"{count} data key(s) re-wrapped", highlight=False)
