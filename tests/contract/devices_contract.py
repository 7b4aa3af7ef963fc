"""One behaviour, every device registry: subclasses supply a `devices` fixture (empty)."""

from __future__ import annotations

import pytest

from services.intake.devices import (
    DeviceExistsError,
    DeviceRegistry,
    UnknownDeviceError,
    device_caller,
)
from shared.web.api_keys import Caller, RevokedKeyError, Role, key_digest


class DevicesContract:
    async def test_an_enrolled_key_is_an_officer_named_after_its_device(
        self, devices: DeviceRegistry
    ) -> None:
        enrolled = await devices.enrol("tablet-07", "Kel. Bukit Duri", "lead-1")
        assert len(enrolled.key) >= 40
        caller = await device_caller(devices, key_digest(enrolled.key))
        assert caller == Caller("device:tablet-07", Role.OFFICER)
        assert await device_caller(devices, key_digest("some-other-key")) is None

    async def test_the_key_is_kept_only_as_its_digest(self, devices: DeviceRegistry) -> None:
        enrolled = await devices.enrol("tablet-07", None, "lead-1")
        [listed] = await devices.list()
        assert (listed.device_id, listed.office, listed.enrolled_by) == (
            "tablet-07",
            None,
            "lead-1",
        )
        assert enrolled.key not in listed.model_dump_json()
        assert key_digest(enrolled.key) not in listed.model_dump_json()

    async def test_an_enrolled_device_cannot_be_enrolled_again(
        self, devices: DeviceRegistry
    ) -> None:
        first = await devices.enrol("tablet-07", None, "lead-1")
        with pytest.raises(DeviceExistsError):
            await devices.enrol("tablet-07", None, "lead-2")
        assert await device_caller(devices, key_digest(first.key)) is not None

    async def test_a_revoked_key_is_refused_at_once(self, devices: DeviceRegistry) -> None:
        enrolled = await devices.enrol("tablet-07", None, "lead-1")
        await devices.revoke("tablet-07", "lead-1")
        with pytest.raises(RevokedKeyError):
            await device_caller(devices, key_digest(enrolled.key))
        await devices.revoke("tablet-07", "lead-1")  # again: no change
        [listed] = await devices.list()
        assert listed.revoked_at is not None

    async def test_a_revoked_device_enrolled_again_gets_a_new_key(
        self, devices: DeviceRegistry
    ) -> None:
        old = await devices.enrol("tablet-07", None, "lead-1")
        await devices.revoke("tablet-07", "lead-1")
        new = await devices.enrol("tablet-07", "Kel. Tebet", "lead-1")
        assert new.key != old.key
        assert await device_caller(devices, key_digest(old.key)) is None
        assert await device_caller(devices, key_digest(new.key)) is not None
        [listed] = await devices.list()
        assert (listed.office, listed.revoked_at) == ("Kel. Tebet", None)

    async def test_revoking_an_unknown_device_says_so(self, devices: DeviceRegistry) -> None:
        with pytest.raises(UnknownDeviceError):
            await devices.revoke("tablet-99", "lead-1")

    async def test_listed_by_id_and_found_by_id(self, devices: DeviceRegistry) -> None:
        for device_id in ("tablet-09", "tablet-01", "tablet-05"):
            await devices.enrol(device_id, None, "lead-1")
        assert [d.device_id for d in await devices.list()] == [
            "tablet-01",
            "tablet-05",
            "tablet-09",
        ]
        found = await devices.get("tablet-05")
        assert found is not None
        assert found.device_id == "tablet-05"
        assert await devices.get("tablet-02") is None
