"""Officers' devices, each with a key of its own (docs/devices.md).

A supervisor enrols a device (its key is shown once and kept only as a SHA-256 digest)
and revokes it when the tablet is lost; the key authenticates as an officer named
`device:<device id>`, looked up by digest on every request, so a revocation holds at once
on every intake instance. `DeviceRegistry` is what intake and `jemput-devices` need;
`MongoDevices` keeps it in the `devices` collection, `InMemoryDevices` in a dict
(tests/contract/devices_contract.py holds both to the same behaviour).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.domain.requests import Text
from shared.web.api_keys import Caller, RevokedKeyError, Role, key_digest

DEVICE_PREFIX = "device:"


def _no_id_number(value: str) -> str:
    # A device id is in clear in every request id it scopes: never a NIK or a KK number.
    if re.search(r"[0-9]{16}", value):
        raise ValueError("must not contain 16 digits in a row (a NIK or a family card number)")
    return value


DeviceId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,39}$"), AfterValidator(_no_id_number)
]


class Device(BaseModel):
    """A device as listed: never its key, nor the key's digest."""

    device_id: str
    office: str | None = None
    enrolled_at: datetime
    enrolled_by: str
    revoked_at: datetime | None = None


class Enrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: DeviceId
    office: Text | None = None


class Enrolled(BaseModel):
    device_id: str
    key: str  # shown once: jemput keeps only its digest


class DeviceExistsError(ValueError):
    def __init__(self) -> None:
        super().__init__("a device with this id is enrolled (revoke it first)")


class UnknownDeviceError(LookupError):
    pass


def new_key() -> str:
    return secrets.token_urlsafe(32)


def caller_of(device: Device) -> Caller:
    return Caller(DEVICE_PREFIX + device.device_id, Role.OFFICER)


class DeviceRegistry(Protocol):
    async def enrol(self, device_id: str, office: str | None, by: str) -> Enrolled:
        """A new key for a device that is new or revoked; DeviceExistsError otherwise."""

    async def revoke(self, device_id: str, by: str) -> None:
        """Revoked at once (again: no change); UnknownDeviceError if never enrolled."""

    async def list(self) -> list[Device]: ...

    async def get(self, device_id: str) -> Device | None: ...

    async def by_digest(self, digest: str) -> Device | None:
        """The device whose key has this SHA-256, revoked or not."""


async def device_caller(registry: DeviceRegistry, digest: str) -> Caller | None:
    """The caller a device key stands for; RevokedKeyError once the device is revoked."""
    device = await registry.by_digest(digest)
    if device is None:
        return None
    if device.revoked_at is not None:
        raise RevokedKeyError(device.device_id)
    return caller_of(device)


def _document(device_id: str, office: str | None, by: str, key: str) -> dict[str, Any]:
    return {
        "_id": device_id,
        "sha256": key_digest(key),
        "office": office,
        "enrolled_at": datetime.now(UTC),
        "enrolled_by": by,
        "revoked_at": None,
    }


def _device(doc: dict[str, Any]) -> Device:
    fields = {k: doc.get(k) for k in Device.model_fields if k != "device_id"}
    return Device(device_id=doc["_id"], **fields)


class InMemoryDevices:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def enrol(self, device_id: str, office: str | None, by: str) -> Enrolled:
        existing = self.docs.get(device_id)
        if existing is not None and existing["revoked_at"] is None:
            raise DeviceExistsError
        key = new_key()
        self.docs[device_id] = _document(device_id, office, by, key)
        return Enrolled(device_id=device_id, key=key)

    async def revoke(self, device_id: str, by: str) -> None:
        doc = self.docs.get(device_id)
        if doc is None:
            raise UnknownDeviceError(device_id)
        if doc["revoked_at"] is None:
            doc.update(revoked_at=datetime.now(UTC), revoked_by=by)

    async def list(self) -> list[Device]:
        return [_device(d) for _, d in sorted(self.docs.items())]

    async def get(self, device_id: str) -> Device | None:
        doc = self.docs.get(device_id)
        return None if doc is None else _device(doc)

    async def by_digest(self, digest: str) -> Device | None:
        return next((_device(d) for d in self.docs.values() if d["sha256"] == digest), None)


class MongoDevices:
    """A document per device, `_id` the device id. Small (an office has tens of tablets):
    the look-up by digest is served by its index on MongoDB, a short scan on FerretDB."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._devices = collection

    async def ensure_indexes(self) -> None:
        await self._devices.create_index("sha256", unique=True, name="sha256")

    async def enrol(self, device_id: str, office: str | None, by: str) -> Enrolled:
        key = new_key()
        doc = _document(device_id, office, by, key)
        try:
            await self._devices.insert_one(doc)
        except DuplicateKeyError:
            # Only a revoked device is enrolled again (a replacement tablet, same id).
            revoked = {"_id": device_id, "revoked_at": {"$ne": None}}
            if (await self._devices.replace_one(revoked, doc)).matched_count == 0:
                raise DeviceExistsError from None
        return Enrolled(device_id=device_id, key=key)

    async def revoke(self, device_id: str, by: str) -> None:
        doc = await self._devices.find_one({"_id": device_id})
        if doc is None:
            raise UnknownDeviceError(device_id)
        if doc.get("revoked_at") is None:
            now = {"revoked_at": datetime.now(UTC), "revoked_by": by}
            await self._devices.update_one({"_id": device_id}, {"$set": now})

    async def list(self) -> list[Device]:
        return [_device(d) async for d in self._devices.find({}).sort("_id", 1)]

    async def get(self, device_id: str) -> Device | None:
        doc = await self._devices.find_one({"_id": device_id})
        return None if doc is None else _device(doc)

    async def by_digest(self, digest: str) -> Device | None:
        doc = await self._devices.find_one({"sha256": digest})
        return None if doc is None else _device(doc)
