"""`jemput-devices`: enrol, revoke and list officers' devices from the command line.

For operators who hold the database credentials (like `jemput-audit`, it reads the
database directly; after `make run`, pass `JEMPUT_ENV_FILE=.local/keys.env`). The same as
the intake API's `/v1/devices` (docs/devices.md). A new key is printed once: jemput keeps
only its digest."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from services.intake.devices import (
    DeviceExistsError,
    Enrolment,
    MongoDevices,
    UnknownDeviceError,
)
from services.intake.settings import IntakeSettings
from shared.collections import DEVICES
from shared.runtime import mongo_client

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
T = TypeVar("T")
DeviceOpt = Annotated[str, typer.Option("--device", help="The device id, e.g. tablet-07")]
By = Annotated[
    str | None,
    typer.Option("--as", help="Your name, recorded with the change (default: cli:$USER)"),
]


def _run(work: Callable[[MongoDevices], Awaitable[T]]) -> T:
    async def go() -> T:
        settings = IntakeSettings()
        client = mongo_client(settings)
        try:
            devices = MongoDevices(client[settings.mongo_db][DEVICES])
            await devices.ensure_indexes()
            return await work(devices)
        finally:
            await client.close()

    return asyncio.run(go())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _who(given: str | None) -> str:
    return given or f"cli:{getpass.getuser()}"


@app.command()
def enrol(
    device: DeviceOpt,
    office: Annotated[str | None, typer.Option(help="Its office, e.g. Kel. Bukit Duri")] = None,
    as_: By = None,
) -> None:
    """Enrol a device (or a revoked one again) and print its key, once."""
    try:
        asked = Enrolment(device_id=device, office=office)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        raise _fail(f"invalid {fields}: a device id is 3-40 of a-z, 0-9 and '-'") from None
    try:
        enrolled = _run(lambda d: d.enrol(asked.device_id, asked.office, _who(as_)))
    except DeviceExistsError as exc:
        raise _fail(str(exc)) from None
    sys.stdout.write(json.dumps(enrolled.model_dump()) + "\n")


@app.command()
def revoke(device: DeviceOpt, as_: By = None) -> None:
    """Revoke a device's key at once (a lost or replaced tablet)."""
    try:
        _run(lambda d: d.revoke(device, _who(as_)))
    except UnknownDeviceError:
        raise _fail("no device with this id") from None
    typer.echo(f"revoked {device}", err=True)


@app.command("list")
def listing() -> None:
    """Every device, revoked ones too, as JSON lines; never a key."""
    for device in _run(lambda d: d.list()):
        sys.stdout.write(device.model_dump_json() + "\n")


def main() -> None:
    app()
