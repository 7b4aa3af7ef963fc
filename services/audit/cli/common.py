"""What every `jemput-audit` command shares: the app, its options, running against the
store, naming an applicant, showing rows (tables on a terminal, JSON lines when piped)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from services.audit.broken import BrokenStreamError
from services.audit.service import AuditService
from services.audit.settings import AuditSettings
from services.audit.wiring import audit_service
from shared.repositories.access_log import CASE_PATTERN, READER_PATTERN
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

    try:
        return asyncio.run(go())
    except (LookupError, BrokenStreamError) as exc:  # answers, not crashes (404, 409)
        console.print(str(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(1) from None


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
