"""One set of audit scenarios, every world: the in-memory service tier and the real stack.

As the store contracts do, subclasses supply a fixture, `world`, that gives an
`AuditWorld`: the audit and intake APIs, the access log as stored, and a way to wait for
the pipeline and to tamper with a stored event. The scenarios go through the HTTP APIs only;
what only one world can show stays in its own test module. A little over ~300 lines on
purpose: the whole set in one class, which both worlds must pass.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Protocol

import httpx

from services.audit.export import verify_export
from shared.eventstore.chain import ChainKeys
from shared.repositories.access_log import AccessLogPort
from tests.factories import ADULT_NIK, form

CASE = {"case": "INSP-2026-041"}
RULES = "jaksel-2027.01"  # both worlds run verification with today's rule set


class AuditWorld(Protocol):
    """What the scenarios need of a world."""

    @property
    def intake(self) -> httpx.AsyncClient:
        """Intake's API: requests are submitted and documents supplied through it."""

    @property
    def audit(self) -> httpx.AsyncClient:
        """The audit API, with no credentials set."""

    @property
    def access(self) -> AccessLogPort:
        """The access log as stored (reading it here is not a read on record)."""

    @property
    def chain_keys(self) -> ChainKeys:
        """The chain key an auditor verifies an export with, offline."""

    def as_(self, name: str) -> dict[str, str]:
        """The headers that authenticate as `name` (officer-1, auditor-1)."""

    def stream_of(self, nik: str) -> str:
        """The applicant's stream id, as the services derive it (no lookup on record)."""

    async def settled(self) -> None:
        """Return once every request is decided and every notice of it delivered."""

    async def tamper(self, stream_id: str, version: int, field: str, value: Any) -> None:
        """Set one payload field of one stored event, as someone with database access
        would; the audit then reads the stream afresh."""


async def submit(world: AuditWorld, body: dict[str, Any]) -> str:
    """An officer submits `body`; its tracking code, once it is decided and told."""
    response = await world.intake.post("/v1/requests", json=body, headers=world.as_("officer-1"))
    assert response.status_code == 201, response.text
    await world.settled()
    return str(response.json()["tracking_code"])


async def supply(world: AuditWorld, code: str, documents: list[str]) -> None:
    path, officer = f"/v1/requests/{code}/documents", world.as_("officer-1")
    answer = await world.intake.post(path, json={"documents": documents}, headers=officer)
    assert answer.is_success, answer.text
    await world.settled()


def birth_missing_documents() -> dict[str, Any]:
    """A birth certificate request (the child ten days old: not a late registration) with
    the birth letter alone: the family card and the marriage record are asked for."""
    child = {"child_birth_date": (date.today() - timedelta(days=10)).isoformat()}
    return form("birth_certificate", details=child, documents=["birth_letter"])


async def get(world: AuditWorld, path: str, **params: Any) -> httpx.Response:
    headers = world.as_("auditor-1")
    return await world.audit.get(f"/v1/audit{path}", params={**CASE, **params}, headers=headers)


async def read(world: AuditWorld, path: str, **params: Any) -> Any:
    response = await get(world, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def reads(world: AuditWorld) -> Counter[tuple[str, str, str | None, str]]:
    """The reads on record: (caller, action, stream, case), however many of each. The
    order they are listed in is the access log contract's (tests/contract)."""
    listed = await world.access.list()
    return Counter((r.caller, r.action, r.stream_id, r.case_reference) for r in listed)


def by(*actions: tuple[str, str | None]) -> Counter[tuple[str, str, str | None, str]]:
    """Reads by auditor-1 for the case: (action, stream) each."""
    return Counter(("auditor-1", action, stream, CASE["case"]) for action, stream in actions)


class AuditScenarios:
    async def test_history_reads_as_what_happened_a_page_or_a_request_at_a_time(
        self, world: AuditWorld
    ) -> None:
        await submit(world, form())
        await submit(world, form("skds"))  # a resident of the city: rejected
        stream = world.stream_of(ADULT_NIK)
        lines = await read(world, f"/streams/{stream}/history")
        assert [line["version"] for line in lines] == list(range(1, len(lines) + 1))
        first = lines[0]["request_id"]
        only = await read(world, f"/streams/{stream}/history", request_id=first)
        assert only == [line for line in lines if line["request_id"] == first]
        assert len(only) < len(lines)
        assert [(line["event_type"], line["actor"]) for line in only[:2]] == [
            ("RequestSubmitted", "officer-1"),
            ("RequestVerified", f"verification ({RULES})"),
        ]
        assert only[1]["summary"] == "RequestVerified; every rule passed"
        assert {line["event_type"] for line in only[2:]} == {
            "NotificationAttempted",
            "NotificationDelivered",
        }
        page = await read(world, f"/streams/{stream}/history", offset=2, limit=3)
        assert page == lines[2:5]
        assert await reads(world) == by(*[("history", stream)] * 3)

    async def test_state_at_a_version_and_the_difference_over_time(self, world: AuditWorld) -> None:
        await submit(world, form())
        stream = world.stream_of(ADULT_NIK)
        [submitted, *_] = await read(world, f"/streams/{stream}/history")
        request_id = submitted["request_id"]
        then = await read(world, f"/streams/{stream}/state", version=1)
        assert [(r, v["status"]) for r, v in then.items()] == [(request_id, "submitted")]
        now = await read(world, f"/streams/{stream}/state")
        assert now[request_id]["status"] == "verified"
        assert now[request_id]["notifications_delivered"] == 2  # by email and by SMS
        window = {"before": submitted["recorded_at"], "after": datetime.now(UTC).isoformat()}
        changes = await read(world, f"/streams/{stream}/diff", **window)
        assert sorted((c["request_id"], c["field"], c["before"], c["after"]) for c in changes) == [
            (request_id, "notifications_delivered", 0, 2),
            (request_id, "status", "submitted", "verified"),
        ]

        await submit(world, form("skds"))  # later events change neither the past nor a diff
        later = await read(world, f"/streams/{stream}/state")
        assert sorted(v["status"] for v in later.values()) == ["rejected", "verified"]
        assert later[request_id]["status"] == "verified"
        assert await read(world, f"/streams/{stream}/state", version=1) == then
        assert await read(world, f"/streams/{stream}/diff", **window) == changes
        states, diffs = [("state", stream)] * 4, [("diff", stream)] * 2
        assert await reads(world) == by(("history", stream), *states, *diffs)

    async def test_raw_events_are_chained_and_filtered_by_request(self, world: AuditWorld) -> None:
        await submit(world, form())
        await submit(world, form("skds"))
        stream = world.stream_of(ADULT_NIK)
        everything = await read(world, f"/streams/{stream}/events")
        assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(everything))
        first, second = (everything[i]["payload"]["request_id"] for i in (0, -1))
        assert first != second
        for request_id in (first, second):
            only = await read(world, f"/streams/{stream}/events", request_id=request_id)
            assert only == [e for e in everything if e["payload"].get("request_id") == request_id]
            assert 1 < len(only) < len(everything)
        assert await read(world, f"/streams/{stream}/events", request_id="nobody-here-01") == []
        assert await reads(world) == by(*[("raw", stream)] * 4)

    async def test_only_an_auditor_with_a_case_reads_and_a_refused_read_is_not_on_record(
        self, world: AuditWorld
    ) -> None:
        await submit(world, form())
        stream = world.stream_of(ADULT_NIK)
        path, auditor = f"/v1/audit/streams/{stream}/history", world.as_("auditor-1")
        officer = await world.audit.get(path, params=CASE, headers=world.as_("officer-1"))
        assert officer.status_code == 403
        assert (await world.audit.get(path, params=CASE)).status_code == 401
        assert (await world.audit.get(path, headers=auditor)).status_code == 422  # no case
        for bad_case in ["   ", "INSP\x00-1", "INSP\n2026", "ab"]:
            refused = await world.audit.get(path, params={"case": bad_case}, headers=auditor)
            assert refused.status_code == 422, bad_case
        # Times without a zone are refused (they were 500s), with the field named.
        naive = "2026-11-29T10:00:00"
        for where, params in [
            ("state", {"at": naive}),
            ("diff", {"before": naive, "after": naive}),
        ]:
            answer = await get(world, f"/streams/{stream}/{where}", **params)
            assert answer.status_code == 422, (where, answer.text)
        now, back_then = datetime.now(UTC).isoformat(), "2026-01-01T00:00Z"
        backwards = await get(world, f"/streams/{stream}/diff", before=now, after=back_then)
        assert backwards.status_code == 422
        assert backwards.json()["errors"][0]["field"] == "query.before"
        for as_of in (naive, "2099-01-01T00:00:00Z"):  # a checkpoint of the future would fail
            at = {"as_of": as_of}
            digest = await world.audit.post("/v1/audit/digest", params=at, headers=auditor)
            assert digest.status_code == 422, as_of
        log = await read(world, "/access")  # the refused reads: none on record
        assert [(e["caller"], e["action"], e["stream_id"], e["case_reference"]) for e in log] == [
            ("auditor-1", "access_log", None, CASE["case"])
        ]
        assert (await get(world, "/streams/applicant-nobody/history")).status_code == 404
        assert (await get(world, "/tracking/JB-00000-00000")).status_code == 404

    async def test_an_applicant_is_found_by_nik_or_code_and_each_finding_is_on_record(
        self, world: AuditWorld
    ) -> None:
        code = await submit(world, form())
        auditor, nik = world.as_("auditor-1"), {"nik": ADULT_NIK}
        by_nik = await world.audit.post("/v1/audit/lookup", params=CASE, json=nik, headers=auditor)
        by_code = await read(world, f"/tracking/{code}")
        stream = world.stream_of(ADULT_NIK)
        assert by_nik.json()["stream_id"] == by_code["stream_id"] == stream
        assert await reads(world) == by(("lookup", stream), ("tracking", stream))
        log = await read(world, "/access", stream_id=stream)
        assert Counter(e["action"] for e in log) == Counter(["access_log", "tracking", "lookup"])
        assert all(e["case_reference"] == CASE["case"] and e["caller"] == "auditor-1" for e in log)
        assert (await get(world, "/tracking/JB-00000-00000")).status_code == 404

    async def test_each_recorded_decision_replays_to_the_same_outcome(
        self, world: AuditWorld
    ) -> None:
        code = await submit(world, birth_missing_documents())
        await supply(world, code, ["family_card", "marriage_record"])
        await submit(world, form("skds"))  # a resident of the city: rejected
        stream = world.stream_of(ADULT_NIK)
        history = await read(world, f"/streams/{stream}/history")
        birth, skds = [h["request_id"] for h in history if h["event_type"] == "RequestSubmitted"]
        assert "birth_certificate submitted" in history[0]["summary"]
        explained = await read(world, f"/streams/{stream}/requests/{birth}/explain")
        assert [e["decided"] for e in explained] == ["DocumentsRequested", "RequestVerified"]
        assert all(e["replay_matches"] and e["recorded"] == e["replayed"] for e in explained)
        assert explained[-1]["today"] == "RequestVerified"
        [rejected] = await read(world, f"/streams/{stream}/requests/{skds}/explain")
        assert (rejected["decided"], rejected["today"]) == ("RequestRejected", "RequestRejected")
        assert rejected["replay_matches"] is True
        assert rejected["recorded"] == rejected["replayed"]

    async def test_a_tracking_code_alone_gives_the_explanation_and_the_read_is_on_record(
        self, world: AuditWorld
    ) -> None:
        await submit(world, form())
        code = await submit(world, form())  # recorded already: rejected
        [explained] = await read(world, f"/tracking/{code}/explain")
        assert (explained["decided"], explained["rule_set_id"]) == ("RequestRejected", RULES)
        assert explained["replay_matches"] is True
        assert ("ektp_not_recorded", "ektp_already_recorded") in {
            (o["rule"], o["reason"]) for o in explained["recorded"]
        }
        unknown = await get(world, "/tracking/JB-00000-00000/explain")
        assert unknown.status_code == 404
        no_case = await world.audit.get(
            f"/v1/audit/tracking/{code}/explain", headers=world.as_("auditor-1")
        )
        assert no_case.status_code == 422
        assert await reads(world) == by(("explain", world.stream_of(ADULT_NIK)))

    async def test_an_export_verifies_offline_and_an_edit_to_it_shows(
        self, world: AuditWorld
    ) -> None:
        code = await submit(world, form())
        stream = world.stream_of(ADULT_NIK)
        events = len(await read(world, f"/streams/{stream}/events"))
        other_code = code[:-1] + ("Y" if code.endswith("X") else "X")
        for fmt in ("jsonl", "csv"):
            text = (await get(world, f"/streams/{stream}/export", format=fmt)).text
            assert verify_export(text, world.chain_keys, fmt) == (events, [])
            # Sealed: the name and the address are ciphertext; the outreach point is not.
            assert "Siti Aminah" not in text
            assert "Tebet Raya" not in text
            for edited in (
                text.replace(code, other_code, 1),
                text.replace("SMAN 8 Jakarta", "SMAN 9 Jakarta", 1),
            ):
                assert edited != text
                _, breaks = verify_export(edited, world.chain_keys, fmt)
                assert [(b.version, b.kind) for b in breaks] == [(1, "edited")], fmt

    async def test_a_tampered_event_is_located_and_the_digest_no_longer_holds(
        self, world: AuditWorld
    ) -> None:
        await submit(world, form())
        stream, auditor = world.stream_of(ADULT_NIK), world.as_("auditor-1")
        assert (await world.audit.get("/v1/audit/verify", headers=auditor)).json()["ok"] is True
        as_of = {"as_of": datetime.now(UTC).isoformat()}  # all settled: take everything
        taken = await world.audit.post("/v1/audit/digest", params=as_of, headers=auditor)
        assert taken.status_code == 200, taken.text
        checkpoint = taken.json()
        check = "/v1/audit/digest/check"
        still = await world.audit.post(check, json=checkpoint, headers=auditor)
        assert still.json()["ok"] is True

        await world.tamper(stream, 3, "request_id", "other")
        broken = (await world.audit.get("/v1/audit/verify", headers=auditor)).json()
        assert broken["ok"] is False
        assert [(b["version"], b["kind"]) for b in broken["breaks"]] == [(3, "edited")]
        scope = {"stream_id": stream}
        one = await world.audit.get("/v1/audit/verify", params=scope, headers=auditor)
        assert [(b["version"], b["kind"]) for b in one.json()["breaks"]] == [(3, "edited")]
        after = await world.audit.post(check, json=checkpoint, headers=auditor)
        assert after.json()["ok"] is False

        answer = await get(world, f"/streams/{stream}/history")  # a read answers the break
        assert answer.status_code == 409, answer.text
        assert {k: answer.json()[k] for k in ("stream_id", "version", "kind")} == {
            "stream_id": stream,
            "version": 3,
            "kind": "edited",
        }
        documents = await read(world, f"/streams/{stream}/documents")  # and shows what was done
        [third] = [d for d in documents if d["version"] == 3]
        assert third["payload"]["request_id"] == "other"
        assert await reads(world) == by(("history", stream), ("documents", stream))
