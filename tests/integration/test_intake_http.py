"""Intake over HTTP on the real stack: accepted, repeated, refused, and nothing written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.integration.intake_client import AUDITOR_KEY, intake, intake_settings


@pytest.fixture
async def api(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with intake(intake_settings(mongo_db.name)) as client:
        yield client


async def event_count(db: AsyncDatabase[Document]) -> int:
    return await db["events"].count_documents({})


async def test_submit_then_follow_by_tracking_code(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    sent = await api.post("/v1/requests", json=form())
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["result"] == "accepted"
    assert body["tracking_code"].startswith("JB-")
    status = await api.get(f"/v1/status/{body['tracking_code']}", headers={"X-API-Key": ""})
    assert status.status_code == 200
    view = status.json()
    assert view["status"] == "submitted"
    assert "diperiksa" in view["next_step"]  # Bahasa Indonesia by default
    assert ADULT_NIK not in status.text
    assert "Siti" not in status.text
    assert await event_count(mongo_db) == 1
    [event] = await mongo_db["events"].find({}).to_list(None)
    assert ADULT_NIK not in event["stream_id"]


async def test_the_same_request_id_twice_is_a_duplicate(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    first = await api.post("/v1/requests", json={**form(), "request_id": "device7-000001"})
    again = await api.post("/v1/requests", json={**form(), "request_id": "device7-000001"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["result"] == "duplicate"
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    other = await api.post("/v1/requests", json={**form("skds"), "request_id": "device7-000001"})
    assert other.status_code == 409
    someone_else = await api.post(
        "/v1/requests", json={**form("skds", BANDUNG_NIK), "request_id": "device7-000001"}
    )
    assert someone_else.status_code == 409
    assert someone_else.text == other.text  # nothing tells whether the NIK is known here
    assert await event_count(mongo_db) == 1


async def test_an_offline_batch_sent_twice_changes_nothing(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    items: list[dict[str, Any]] = [
        {**form(), "request_id": "dev-batch-0001", "occurred_at": "2026-11-28T09:15:00+07:00"},
        {**form("skds", "3273010202950003"), "request_id": "dev-batch-0002"},
        {**form(), "request_id": "dev-batch-0003", "applicant": {"nik": "12345"}},
        {**form("birth_certificate")},  # no request id
    ]
    first = await api.post("/v1/requests/batch", json={"items": items})
    assert first.status_code == 200, first.text
    results = [i["result"] for i in first.json()["items"]]
    assert results == ["accepted", "accepted", "invalid", "invalid"]
    invalid = first.json()["items"][2]["errors"]
    assert any(e["field"].startswith("applicant") for e in invalid)
    assert "12345" not in first.text
    count = await event_count(mongo_db)
    second = await api.post("/v1/requests/batch", json={"items": items})
    assert [i["result"] for i in second.json()["items"]] == [
        "duplicate",
        "duplicate",
        "invalid",
        "invalid",
    ]
    assert await event_count(mongo_db) == count == 2
    scoped_id = "officer-1:dev-batch-0001"  # ids are kept under their sender's name
    stored = await mongo_db["events"].find_one({"payload.request_id": scoped_id})
    assert stored is not None
    assert stored["occurred_at"].isoformat().startswith("2026-11-28T02:15:00")


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 422),
        (b'{"applicant": {"nik": {"$gt": ""}}}', 422),
        (b"[]", 422),
    ],
)
async def test_malformed_bodies_are_refused(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document], content: bytes, status: int
) -> None:
    response = await api.post(
        "/v1/requests", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert await event_count(mongo_db) == 0


def _valid() -> str:
    return json.dumps(form())


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        # A second NIK after the first: which one is checked, which one stored?
        (_valid()[:-1] + ', "applicant": ' + json.dumps(form()["applicant"]) + "}", None, 422),
        (_valid().encode("latin-1"), "application/json; charset=latin-1", 415),
        (_valid().encode(), "application/merge-patch+json", 415),
        (_valid().encode("utf-16"), "application/json", 415),
        (b"\xef\xbb\xbf" + _valid().encode(), "application/json", 415),
        (_valid().encode(), "text/plain", 415),
    ],
)
async def test_loose_bodies_are_refused(
    api: httpx.AsyncClient,
    mongo_db: AsyncDatabase[Document],
    content: str | bytes,
    content_type: str | None,
    status: int,
) -> None:
    body = content.encode() if isinstance(content, str) else content
    headers = {"Content-Type": content_type or "application/json"}
    response = await api.post("/v1/requests", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert ADULT_NIK not in response.text
    assert await event_count(mongo_db) == 0


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),  # was a RecursionError: a 500
        (_valid().replace('"documents": []', '"documents": NaN').encode(), "json_invalid"),
    ],
)
async def test_bodies_the_intake_topic_refuses_are_refused_alike(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document], content: bytes, error: str
) -> None:
    """One reader for both doors (shared/formats/json_body.py)."""
    response = await api.post(
        "/v1/requests", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "body", "error": error, "message": response.json()["errors"][0]["message"]}
    ]
    assert await event_count(mongo_db) == 0


async def test_utf8_json_with_its_charset_named_is_taken(api: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    response = await api.post("/v1/requests", content=_valid().encode(), headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"applicant": {"nik": "317401150390000"}}, "applicant.nik"),
        ({"applicant": {"nik": "3174O11503900001"}}, "applicant.nik"),
        ({"applicant": {"full_name": {"$gt": ""}}}, "applicant.full_name"),
        ({"applicant": {"full_name": "Siti\x00"}}, "applicant.full_name"),
        ({"applicant": {"birth_date": 19900315}}, "applicant.birth_date"),
        ({"surprise": True}, "surprise"),
        ({"details": {"kind": "passport"}}, "details"),
        ({"outreach_point": {"kind": "mall"}}, "outreach_point.kind"),
        ({"applicant": {"full_name": "Siti\u202eAminah"}}, "applicant.full_name"),  # bidi
        ({"applicant": {"full_name": "\u200b"}}, "applicant.full_name"),  # zero-width only
        ({"applicant": {"address": "Jl.\u0085Tebet"}}, "applicant.address"),  # a C1 control
        ({"applicant": {"email": "budi\u202e@example.id"}}, "applicant.email"),
        ({"applicant": {"birth_date": "9999-01-01"}}, "applicant.birth_date"),
        ({"applicant": {"birth_date": "0001-01-01"}}, "applicant.birth_date"),
        ({"details": {"kind": "3174011503900001 Siti Aminah"}}, "details"),  # not echoed
        ({"applicant": {"3174011503900001": "Siti"}}, "applicant.(unknown field)"),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),  # was a 500
        ({"occurred_at": "2009-06-01T10:00:00+07:00"}, "occurred_at"),
    ],
)
async def test_bad_fields_get_a_field_level_message_and_write_nothing(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document], change: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/requests", json=form(**change))
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert "317401150390000" not in response.text
    assert "Siti" not in response.text
    assert await event_count(mongo_db) == 0
    assert await mongo_db["tracking_codes"].count_documents({}) == 0


async def test_oversized_bodies_are_refused(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    huge = form(applicant={"address": "x" * 300_000})
    response = await api.post("/v1/requests", json=huge)
    assert response.status_code == 413
    assert await event_count(mongo_db) == 0


async def test_credentials_and_roles(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    assert (
        await api.post("/v1/requests", json=form(), headers={"X-API-Key": ""})
    ).status_code == 401
    assert (
        await api.post("/v1/requests", json=form(), headers={"X-API-Key": "guess"})
    ).status_code == 401
    auditor = await api.post("/v1/requests", json=form(), headers={"X-API-Key": AUDITOR_KEY})
    assert auditor.status_code == 403
    assert await event_count(mongo_db) == 0


async def test_withdraw_by_tracking_code(api: httpx.AsyncClient) -> None:
    code = (await api.post("/v1/requests", json=form())).json()["tracking_code"]
    assert (
        await api.post(f"/v1/requests/{code}/withdraw", json={"reason": "moved away"})
    ).status_code == 204
    assert (await api.get(f"/v1/status/{code}")).json()["status"] == "withdrawn"
    again = await api.post(f"/v1/requests/{code}/withdraw", json={"reason": "twice"})
    assert again.status_code == 409
    missing = await api.post("/v1/requests/JB-00000-00000/withdraw", json={"reason": "x"})
    assert missing.status_code == 403  # to an officer, the same as another's request
    early = await api.post(f"/v1/requests/{code}/documents", json={"documents": ["birth_letter"]})
    assert early.status_code == 409


async def test_health_and_metrics(api: httpx.AsyncClient) -> None:
    assert (await api.get("/health/live")).json() == {"status": "ok"}
    ready = await api.get("/health/ready")
    assert ready.json() == {"status": "ok", "failed": []}
    await api.post("/v1/requests", json=form())
    metrics = (await api.get("/metrics")).text
    assert (
        'jemput_http_requests_total{route="/v1/requests",service="intake",status="201"}' in metrics
    )
    assert ADULT_NIK not in metrics
