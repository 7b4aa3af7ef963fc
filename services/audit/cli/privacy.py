"""`jemput-audit` commands for personal data: erase, retention-sweep, rotate-kek, and
dead letters (list, show with the keys, replay to their source topic)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from services.audit.cli.common import CaseOpt, Stream, Who, app, console, run, show
from services.audit.dead_letters import body_of, listed, read_dead_letters, replay
from services.audit.service import Auditor, AuditService
from services.audit.settings import AuditSettings

PANEL = "Personal data"


@app.command(rich_help_panel=PANEL)
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


@app.command("retention-sweep", rich_help_panel=PANEL)
def retention_sweep() -> None:
    """Erase contact data of applicants whose requests closed longer ago than the policy keeps."""

    async def work(s: AuditService) -> None:
        done = await s.retention_sweep()
        show(done, ["stream_id", "classes", "keys_destroyed", "clear_text_events"], "erased")
        console.print(f"{len(done)} applicant(s) erased", highlight=False)

    run(work)


@app.command("rotate-kek", rich_help_panel=PANEL)
def rotate_kek() -> None:
    """Re-wrap every data key under JEMPUT_DATA_KEK (old KEKs in JEMPUT_DATA_OLD_KEKS)."""
    count = run(lambda s: s.rotate_kek())
    console.print(f"{count} data key(s) re-wrapped", highlight=False)


dead_letters = typer.Typer(help="Dead letters: list, show (with the keys), replay.")
app.add_typer(dead_letters, name="dead-letters", rich_help_panel=PANEL)
Topic = Annotated[str, typer.Option(help="The dead-letter topic, e.g. jemput.intake.dlq.v1")]
EntryId = Annotated[str, typer.Option("--id", help="The dead letter's id")]


async def _find(s: AuditService, topic: str, entry_id: str) -> dict[str, Any]:
    settings = AuditSettings()
    for entry in await read_dead_letters(settings.kafka_bootstrap, topic):
        if entry.get("id") == entry_id:
            return entry
    raise typer.BadParameter(f"no dead letter {entry_id} on {topic}")


@dead_letters.command("list")
def list_dead_letters(topic: Topic) -> None:
    """Every dead letter on the topic: id, reason, error, source (never the body)."""

    async def work(_: AuditService) -> list[dict[str, Any]]:
        return [listed(e) for e in await read_dead_letters(AuditSettings().kafka_bootstrap, topic)]

    show(run(work), ["id", "reason", "error", "errors", "source"], topic)


@dead_letters.command("show")
def show_dead_letter(who: Who, case: CaseOpt, topic: Topic, entry_id: EntryId) -> None:
    """One dead letter with its body opened (recorded in the access log)."""

    async def work(s: AuditService) -> dict[str, Any]:
        entry = await _find(s, topic, entry_id)
        await s.access.record(who, "dead_letter", None, case)
        return {**listed(entry), "body": await body_of(s.histories.personal, entry)}

    show([run(work)], ["id", "reason", "source", "body"], topic)


@dead_letters.command("replay")
def replay_dead_letter(who: Who, case: CaseOpt, topic: Topic, entry_id: EntryId) -> None:
    """Publish a dead letter's body again to its source topic (after the fix)."""

    async def work(s: AuditService) -> bool:
        entry = await _find(s, topic, entry_id)
        body = await body_of(s.histories.personal, entry)
        if body is None:
            return False
        await s.access.record(who, "dead_letter_replay", None, case)
        await replay(AuditSettings().kafka_bootstrap, entry, body)
        return True

    if not run(work):
        console.print("its body is gone (its month's key was destroyed): nothing to replay")
        raise typer.Exit(1)
    console.print(f"replayed {entry_id}", highlight=False)
