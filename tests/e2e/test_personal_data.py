"""Erasure on the real stack: after one applicant's contact data is erased, none of it is
left in the store, on any topic, in any log line or in the export, while the chain, the
digest and the explanations still hold; a topic reader without keys sees no name or NIK."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import bson.json_util
import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.bootstrap import create_app as audit_app
from services.audit.settings import AuditSettings
from shared.domain.requests import RequestForm
from shared.eventstore.recorder import Document
from shared.privacy.policy import ERASED
from shared.privacy.setup import open_personal_data
from shared.repositories.histories import ApplicantHistories
from shared.runtime import JsonLines, open_store
from tests.e2e.kafka_reader import everything_on
from tests.e2e.pipeline import Pipeline, pipeline
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.waiting import eventually

CASE = {"case": "ERASE-2026-007"}
# The erased applicant's contact data, spelled so that no other test data contains it.
ERASED_CONTACT = {
    "address": "Jl. Lupakan Saya 7, RT 009/RW 004",
    "email": "lupakan.saya@example.id",
    "phone": "+6281999000111",
}
ERASED_CITY_ADDRESS = "Jl. Kemang Lupakan 9, Jakarta Selatan"
FORGOTTEN = [*ERASED_CONTACT.values(), "6281999000111", ERASED_CITY_ADDRESS, "Lupakan"]


class Stack:
    def __init__(self, jb: Pipeline, api: httpx.AsyncClient, db: AsyncDatabase[Document]) -> None:
        self.jb, self.api, self.db = jb, api, db
        self.auditor = jb.as_("auditor-1")

    async def audit(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {**CASE, **kwargs.pop("params", {})}
        return await self.api.request(method, path, params=params, headers=self.auditor, **kwargs)

    async def status(self, code: str) -> str:
        return str((await self.jb.intake.get(f"/v1/status/{code}")).json()["status"])

    async def submit(self, body: dict[str, Any]) -> str:
        response = await self.jb.intake.post(
            "/v1/requests", json=body, headers=self.jb.as_("officer-1")
        )
        assert response.status_code == 201, response.text
        return str(response.json()["tracking_code"])

    async def stream_of(self, nik: str) -> str:
        found = await self.audit("POST", "/v1/audit/lookup", json={"nik": nik})
        return str(found.json()["stream_id"])


@pytest.fixture
async def stack(mongo_db: AsyncDatabase[Document], kafka_bootstrap: str) -> AsyncIterator[Stack]:
    async with pipeline(mongo_db.name) as jb:
        fields = jb.settings.model_dump()
        settings = AuditSettings(
            **{
                k: v
                for k, v in fields.items()
                if k in AuditSettings.model_fields and k != "http_port"
            }
        )
        app = audit_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://audit") as api:
                yield Stack(jb, api, mongo_db)


async def two_applicants(s: Stack) -> tuple[str, str]:
    """A (to be erased): an SKDS without its documents; B: an e-KTP recording."""
    erased = await s.submit(
        form(
            "skds",
            BANDUNG_NIK,
            applicant=ERASED_CONTACT,
            details={"city_address": ERASED_CITY_ADDRESS},
            documents=[],
        )
    )
    kept = await s.submit(form())
    await eventually(
        lambda: _is(s.status(erased), "documents_requested"), what="A asked for documents"
    )
    await eventually(lambda: _is(s.status(kept), "verified"), what="B verified")
    await eventually(
        lambda: bool(s.jb.mailbox.to(ERASED_CONTACT["email"])), what="A's email before erasure"
    )
    return erased, kept


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


async def store_text(db: AsyncDatabase[Document]) -> str:
    parts = []
    for name in await db.list_collection_names():
        parts += [bson.json_util.dumps(d) async for d in db[name].find({})]
    return "\n".join(parts)


async def topics_text(s: Stack) -> tuple[int, str]:
    topics = [
        s.jb.settings.events_topic,
        s.jb.verification_dead_letters,
        s.jb.notification_dead_letters,
    ]
    values = [v for t in topics for v in await everything_on(s.jb.settings.kafka_bootstrap, t)]
    return len(values), "\n".join(v.decode("utf-8", errors="replace") for v in values)


async def forms_with_the_keys(s: Stack, streams: list[str]) -> list[RequestForm]:
    settings = AuditSettings(mongo_db=s.db.name)
    store = await open_store(s.db.client, settings)
    applicants = ApplicantHistories(store, b"unused", await open_personal_data(s.db, settings))
    histories = [await applicants.load(stream) for stream in streams]
    return [next(iter(h.requests.values())).form for h in histories]


def found(haystack: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n in haystack]


async def test_an_erased_applicants_contact_data_is_nowhere_and_the_log_still_holds(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code_a, _ = await two_applicants(stack)
    emails_before = len(stack.jb.mailbox.to(ERASED_CONTACT["email"]))
    stream_a = await stack.stream_of(BANDUNG_NIK)

    erasure = await stack.audit(
        "POST",
        f"/v1/audit/streams/{stream_a}/erasure",
        json={"classes": ["contact"], "reason": "the applicant asked (UU 27/2022)"},
    )
    assert erasure.status_code == 200, erasure.text
    assert erasure.json()["keys_destroyed"] == 1
    assert erasure.json()["clear_text_events"] == 0
    legal = await stack.audit(
        "POST",
        f"/v1/audit/streams/{stream_a}/erasure",
        json={"classes": ["legal"], "reason": "not erasable"},
    )
    assert legal.status_code == 422

    # After the erasure the request goes on, and A is told nothing: no address is left.
    await stack.jb.intake.post(
        f"/v1/requests/{code_a}/documents",
        json={"documents": ["domicile_statement", "origin_id_card"]},
        headers=stack.jb.as_("officer-1"),
    )
    await eventually(lambda: _is(stack.status(code_a), "verified"), what="A verified after")
    await asyncio.sleep(1.0)  # time for a notification that must not come
    assert len(stack.jb.mailbox.to(ERASED_CONTACT["email"])) == emails_before

    history = (await stack.audit("GET", f"/v1/audit/streams/{stream_a}/history")).json()
    assert "PersonalDataErased" in [h["event_type"] for h in history]
    request_a = history[0]["request_id"]
    explained = await stack.audit(
        "GET", f"/v1/audit/streams/{stream_a}/requests/{request_a}/explain"
    )
    assert explained.status_code == 200
    assert explained.json()
    assert all(e["replay_matches"] for e in explained.json())
    verified = (await stack.audit("GET", "/v1/audit/verify")).json()
    assert verified["ok"], verified["breaks"]
    now = (datetime.now(UTC) - timedelta(milliseconds=500)).isoformat()
    digest = await stack.audit("POST", "/v1/audit/digest", params={"as_of": now})
    assert digest.status_code == 200, digest.text
    check = await stack.audit("POST", "/v1/audit/digest/check", json=digest.json())
    assert check.json()["ok"]
    exports = [
        (await stack.audit("GET", f"/v1/audit/streams/{stream_a}/export", params={"format": f}))
        for f in ("jsonl", "csv")
    ]
    assert all(e.status_code == 200 for e in exports)
    access = (await stack.audit("GET", "/v1/audit/access", params={"stream_id": stream_a})).json()
    assert "erase" in {a["action"] for a in access}

    # With every key there is: A's contact data reads as erased, B's still reads (so the
    # searches below look at data that would be found were it there).
    forms = await forms_with_the_keys(stack, [stream_a, await stack.stream_of(ADULT_NIK)])
    assert (forms[0].applicant.email, forms[0].applicant.address) == (None, ERASED)
    assert getattr(forms[0].details, "city_address", None) == ERASED
    assert forms[0].applicant.nik == BANDUNG_NIK  # the legal record is kept
    assert forms[1].applicant.email == "siti@example.id"

    messages, on_topics = await topics_text(stack)
    assert messages > 0
    assert stream_a in on_topics  # the reader did read A's events
    # Every line jemput's processes logged (DEBUG up, the database driver's too); not the
    # test's own SMTP server (`mail.log`): it is the applicant's mail provider, outside.
    ours = [r for r in caplog.records if r.name != "mail.log"]
    logs = "\n".join(JsonLines().format(r) for r in ours)
    assert {"pymongo.command", "shared.messaging.events_consumer"} & {r.name for r in ours}
    assert found(await store_text(stack.db), FORGOTTEN) == []
    assert found(on_topics, FORGOTTEN) == []
    assert found(logs, FORGOTTEN) == []
    assert found("\n".join(e.text for e in exports), FORGOTTEN) == []


async def test_a_topic_reader_without_keys_sees_no_names_or_niks(stack: Stack) -> None:
    await two_applicants(stack)
    messages, on_topics = await topics_text(stack)
    assert messages > 0
    assert json.loads(on_topics.splitlines()[0])["payload"]  # events, readable as JSON
    names_and_niks = ["Siti Aminah", ADULT_NIK, BANDUNG_NIK, "1990-03-15", "Tebet Raya"]
    assert found(on_topics, names_and_niks + FORGOTTEN) == []


async def test_after_an_erasure_new_contact_data_is_sealed_anew_and_the_reason_travels_sealed(
    stack: Stack,
) -> None:
    """The intake process still caches the erased key when the next request comes a moment
    later: that request's contact data gets a new key, and its decision is emailed."""
    await two_applicants(stack)
    stream_a = await stack.stream_of(BANDUNG_NIK)
    reason = "Permintaan Rahasia Wijayakusuma via telp"
    erasure = await stack.audit(
        "POST",
        f"/v1/audit/streams/{stream_a}/erasure",
        json={"classes": ["contact"], "reason": reason},
    )
    assert erasure.status_code == 200, erasure.text
    new_email = "baru.setelah.hapus@example.id"
    await stack.submit(form("ektp_recording", BANDUNG_NIK, applicant={"email": new_email}))
    await eventually(lambda: bool(stack.jb.mailbox.to(new_email)), what="the new request's email")
    assert stack.jb.mailbox.only_to(new_email)
    assert len(stack.jb.mailbox.to(ERASED_CONTACT["email"])) == 1  # the one from before

    history = (await stack.audit("GET", f"/v1/audit/streams/{stream_a}/history")).json()
    assert reason in json.dumps(history)  # the auditor reads it
    _, on_topics = await topics_text(stack)
    assert stream_a in on_topics
    assert found(on_topics, [reason, "Wijayakusuma", new_email]) == []
    assert found(await store_text(stack.db), [reason, "Wijayakusuma", new_email]) == []
