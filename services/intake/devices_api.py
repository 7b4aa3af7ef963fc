"""Enrolling and revoking officers' devices (supervisors), and a device asking who it is.

The contract the officers' app codes against: docs/devices.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from services.intake.devices import (
    DEVICE_PREFIX,
    Device,
    DeviceExistsError,
    DeviceRegistry,
    Enrolled,
    Enrolment,
    UnknownDeviceError,
)
from shared.web.api_errors import GUARDED, WITH_BODY, errors
from shared.web.http import Caller, Role, requires

router = APIRouter(prefix="/v1/devices", tags=["devices"])
Supervisor = Annotated[Caller, Depends(requires(Role.SUPERVISOR))]
Officer = Annotated[Caller, Depends(requires(Role.OFFICER))]
EXISTS = "a device with this id is enrolled (revoke it first)"
UNKNOWN = "no device with this id"
NOT_A_DEVICE = "this key is not a device's key"


def registry(request: Request) -> DeviceRegistry:
    devices: DeviceRegistry = request.app.state.devices
    return devices


Registry = Annotated[DeviceRegistry, Depends(registry)]


class Me(BaseModel):
    device_id: str
    office: str | None


@router.post(
    "",
    status_code=201,
    response_model=Enrolled,
    responses=errors(*GUARDED, *WITH_BODY, 409, e409=EXISTS),
)
async def enrol(body: Enrolment, caller: Supervisor, devices: Registry) -> Enrolled:
    """Enrol a device (or a revoked one again): its key is in this answer only."""
    try:
        return await devices.enrol(body.device_id, body.office, caller.name)
    except DeviceExistsError:
        raise HTTPException(409, EXISTS) from None


@router.delete("/{device_id}", status_code=204, responses=errors(*GUARDED, 404, e404=UNKNOWN))
async def revoke(device_id: str, caller: Supervisor, devices: Registry) -> Response:
    """Revoke a device's key: its next request gets 401 `device key revoked`."""
    try:
        await devices.revoke(device_id, caller.name)
    except UnknownDeviceError:
        raise HTTPException(404, UNKNOWN) from None
    return Response(status_code=204)


@router.get("", response_model=list[Device], responses=errors(*GUARDED))
async def listing(_: Supervisor, devices: Registry) -> list[Device]:
    """Every device enrolled, revoked ones too; never a key."""
    return await devices.list()


@router.get("/me", response_model=Me, responses=errors(*GUARDED, e403=NOT_A_DEVICE))
async def me(caller: Officer, devices: Registry) -> Me:
    """The device this key belongs to (the officers' app checks a key with it)."""
    device_id = caller.name.removeprefix(DEVICE_PREFIX)
    device = await devices.get(device_id) if caller.name.startswith(DEVICE_PREFIX) else None
    if device is None:
        raise HTTPException(403, NOT_A_DEVICE)
    return Me(device_id=device.device_id, office=device.office)
