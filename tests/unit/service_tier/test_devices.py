"""Per-device keys, request ids scoped to their sender, and who may follow a request up,
in the in-memory tier (the same on the real stack: tests/integration/test_devices.py)."""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.api import NO_CODE_OR_NOT_YOURS
from shared.domain.applicant import submit as submit_request
from shared.domain.requests import RequestForm
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id
from shared.repositories.tracking import Tracked, tracking_code
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.unit.service_tier.requests import birth, status
from tests.unit.service_tier.tier import ServiceTier, as_

SUPERVISOR = as_("supervisor-1")


async def enrol(tier: ServiceTier, device_id: str, **body: Any) -> dict[str, str]:
    """Enrol a device; the headers that authenticate as it."""
    answer = await tier.intake.post(
        "/v1/devices", json={"device_id": device_id, **body}, headers=SUPERVISOR
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["device_id"] == device_id
    return {"X-API-Key": answer.json()["key"]}


async def send(tier: ServiceTier, key: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return await tier.intake.post("/v1/requests", json=body, headers=key)


async def test_a_supervisor_enrols_a_device_whose_key_then_submits(tier: ServiceTier) -> None:
    key = await enrol(tier, "tablet-07", office="Kel. Bukit Duri")
    me = await tier.intake.get("/v1/devices/me", headers=key)
    assert (me.status_code, me.json()) == (
        200,
        {"device_id": "tablet-07", "office": "Kel. Bukit Duri"},
    )
    sent = await send(tier, key, {**form(), "request_id": "tablet07-20261206-0001"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["request_id"] == "tablet07-20261206-0001"  # as the device sent it
    await tier.settled()
    [event, *_] = await tier.opened(tier.stream_of(ADULT_NIK))
    assert event.event_type == "RequestSubmitted"
    assert event.payload["submitted_by"] == "device:tablet-07"
    assert event.payload["request_id"] == "device:tablet-07:tablet07-20261206-0001"
    listed = await tier.intake.get("/v1/devices", headers=SUPERVISOR)
    assert [d["device_id"] for d in listed.json()] == ["tablet-07"]
    assert key["X-API-Key"] not in listed.text


async def test_only_a_supervisor_enrols_revokes_or_lists(tier: ServiceTier) -> None:
    for who in ("officer-1", "verifier-1", "auditor-1"):
        asked = await tier.intake.post(
            "/v1/devices", json={"device_id": "tablet-07"}, headers=as_(who)
        )
        assert asked.status_code == 403
        assert (await tier.intake.get("/v1/devices", headers=as_(who))).status_code == 403
        gone = await tier.intake.delete("/v1/devices/tablet-07", headers=as_(who))
        assert gone.status_code == 403
    assert (await tier.intake.post("/v1/devices", json={"device_id": "x1y"})).status_code == 401


async def test_enrolment_answers(tier: ServiceTier) -> None:
    await enrol(tier, "tablet-07")
    again = await tier.intake.post(
        "/v1/devices", json={"device_id": "tablet-07"}, headers=SUPERVISOR
    )
    assert again.status_code == 409
    for bad in ("Tablet-07", "t7", "-tablet", "tablet_07", "hp-3174011503900001", "a" * 41):
        refused = await tier.intake.post("/v1/devices", json={"device_id": bad}, headers=SUPERVISOR)
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "device_id"
        assert bad not in refused.text
    unknown = await tier.intake.delete("/v1/devices/tablet-99", headers=SUPERVISOR)
    assert unknown.status_code == 404


async def test_a_revoked_key_is_refused_at_its_next_request(tier: ServiceTier) -> None:
    key = await enrol(tier, "tablet-07")
    assert (await send(tier, key, form())).status_code == 201
    revoked = await tier.intake.delete("/v1/devices/tablet-07", headers=SUPERVISOR)
    assert revoked.status_code == 204
    refused = await send(tier, key, {**form(), "request_id": "tablet07-20261206-0002"})
    assert (refused.status_code, refused.json()) == (401, {"detail": "device key revoked"})
    assert (await tier.intake.get("/v1/devices/me", headers=key)).status_code == 401
    [listed] = (await tier.intake.get("/v1/devices", headers=SUPERVISOR)).json()
    assert listed["revoked_at"] is not None
    again = await enrol(tier, "tablet-07")  # its replacement, under the same id
    assert (await tier.intake.get("/v1/devices/me", headers=again)).status_code == 200


async def test_a_static_officer_key_is_not_a_device(tier: ServiceTier) -> None:
    me = await tier.intake.get("/v1/devices/me", headers=as_("officer-1"))
    assert me.status_code == 403


async def test_one_device_cannot_squat_anothers_request_ids(tier: ServiceTier) -> None:
    """The probe's attack: tablet84's predictable ids claimed first by another device."""
    squatter, owner = await enrol(tier, "tablet-66"), await enrol(tier, "tablet-84")
    ids = [f"tablet84-20261206-000{n}" for n in (1, 2, 3)]
    for request_id in ids:
        claimed = await send(
            tier, squatter, {**form("skds", BANDUNG_NIK), "request_id": request_id}
        )
        assert claimed.status_code == 201
    codes = []
    for request_id in ids:
        real = await send(tier, owner, {**form(), "request_id": request_id})
        assert (real.status_code, real.json()["result"]) == (201, "accepted"), real.text
        assert real.json()["request_id"] == request_id
        codes.append(real.json()["tracking_code"])
    again = await send(tier, owner, {**form(), "request_id": ids[0]})  # offline resend
    assert (again.json()["result"], again.json()["tracking_code"]) == ("duplicate", codes[0])
    await tier.settled()
    mine = await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")
    assert len(mine) == 3


async def test_only_the_device_that_took_it_or_a_verifier_follows_a_request_up(
    tier: ServiceTier,
) -> None:
    taker, other = await enrol(tier, "tablet-07"), await enrol(tier, "tablet-08")
    sent = await send(tier, taker, {**birth(), "documents": []})
    code = sent.json()["tracking_code"]
    await tier.settled()
    assert (await status(tier, code))["status"] == "documents_requested"
    for path, body in (
        ("withdraw", {"reason": "x"}),
        ("documents", {"documents": ["birth_letter"]}),
    ):
        for who in (other, as_("officer-1")):
            refused = await tier.intake.post(f"/v1/requests/{code}/{path}", json=body, headers=who)
            unknown = await tier.intake.post(
                f"/v1/requests/JB-00000-00000/{path}", json=body, headers=who
            )
            assert (refused.status_code, unknown.status_code) == (403, 403)
            assert refused.json() == unknown.json() == {"detail": NO_CODE_OR_NOT_YOURS}
    await tier.settled()
    assert (await status(tier, code))["status"] == "documents_requested"
    supplied = await tier.intake.post(
        f"/v1/requests/{code}/documents",
        json={"documents": ["birth_letter", "family_card", "marriage_record"]},
        headers=taker,
    )
    assert supplied.status_code == 204, supplied.text
    await tier.settled()
    second = await send(tier, taker, {**birth(), "documents": [], "request_id": "tablet07-0002"})
    await tier.settled()
    by_verifier = await tier.intake.post(
        f"/v1/requests/{second.json()['tracking_code']}/withdraw",
        json={"reason": "applicant asked"},
        headers=as_("verifier-1"),
    )
    assert by_verifier.status_code == 204, by_verifier.text


async def test_a_request_stored_before_ids_were_scoped_still_reads_and_follows_up(
    tier: ServiceTier,
) -> None:
    """Stored as intake did before: the bare id, its code and event id derived from it."""
    key = tier.intake_settings.pseudonym_bytes()
    histories = ApplicantHistories(tier.store, key, tier.personal)
    old_id, stream = "tablet07-20261130-0001", tier.stream_of(ADULT_NIK)
    old_code = tracking_code(key, old_id)
    await tier.tracking.add(old_code, Tracked(stream, old_id))
    submitted = submit_request(
        await histories.load(stream),
        old_id,
        old_code,
        RequestForm.model_validate(birth()),
        "officer-1",
        "http",
    )
    assert submitted is not None
    await histories.record(stream, lambda _: [ToRecord(submitted, derived_id("submitted", old_id))])
    await tier.settled()
    assert (await status(tier, old_code))["status"] == "verified"
    # The device resends it after the upgrade (its offline queue): the same request.
    again = await tier.intake.post(
        "/v1/requests", json={**birth(), "request_id": old_id}, headers=as_("officer-1")
    )
    assert again.json() == {"request_id": old_id, "tracking_code": old_code, "result": "duplicate"}
    other = await enrol(tier, "tablet-08")
    refused = await tier.intake.post(
        f"/v1/requests/{old_code}/withdraw", json={"reason": "x"}, headers=other
    )
    assert refused.status_code == 403
    await tier.settled()
    assert len(await tier.events(stream, "RequestSubmitted")) == 1


async def test_a_method_a_path_does_not_take_names_those_it_does(tier: ServiceTier) -> None:
    """Two routes share /v1/devices (GET, POST): `Allow` names both, as the OpenAPI
    document does (schemathesis checks it in the e2e tier)."""
    devices = await tier.intake.request("OPTIONS", "/v1/devices", headers=SUPERVISOR)
    assert (devices.status_code, devices.headers["Allow"]) == (405, "GET, POST")
    me = await tier.intake.request("PUT", "/v1/devices/me", headers=SUPERVISOR)
    assert (me.status_code, me.headers["Allow"]) == (405, "GET")
    one = await tier.intake.request("PUT", "/v1/devices/tablet-07", headers=SUPERVISOR)
    assert (one.status_code, one.headers["Allow"]) == (405, "DELETE")
    assert one.json() == {"detail": "Method Not Allowed"}
