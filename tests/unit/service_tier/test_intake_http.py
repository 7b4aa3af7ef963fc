"""Intake over HTTP with in-memory adapters: accepted, duplicate, conflict, invalid, and
what an applicant may read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.intake.api import NO_CODE
from shared.eventstore.errors import ConcurrencyError
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.unit.service_tier.requests import birth, status, submit
from tests.unit.service_tier.tier import ServiceTier, as_

OFFICER = as_("officer-1")


def with_id(request_id: str, **changes: Any) -> dict[str, Any]:
    return {**form(**changes), "request_id": request_id}


async def post(tier: ServiceTier, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await tier.intake.post("/v1/requests", json=body, headers=OFFICER)
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


async def test_the_same_request_again_is_a_duplicate_with_the_same_code(
    tier: ServiceTier,
) -> None:
    first = await post(tier, with_id("device-req-0001"))
    again = await post(tier, with_id("device-req-0001"))
    assert (first[0], first[1]["result"]) == (201, "accepted")
    assert (again[0], again[1]["result"]) == (201, "duplicate")
    assert again[1]["tracking_code"] == first[1]["tracking_code"]
    await tier.settled()
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1


async def test_a_request_id_reused_for_another_form_is_a_conflict(tier: ServiceTier) -> None:
    await post(tier, with_id("device-req-0001"))
    code, answer = await post(tier, with_id("device-req-0001", applicant={"address": "Jl. Lain 2"}))
    assert (code, answer["detail"]) == (409, "request id already used for a different request")
    await tier.settled()
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1


async def test_a_request_id_reused_for_another_applicant_answers_the_same(
    tier: ServiceTier,
) -> None:
    """The same text as for another form: the answer must not say whose the id was."""
    await post(tier, with_id("device-req-0001"))
    code, answer = await post(tier, with_id("device-req-0001", kind="skds", nik=BANDUNG_NIK))
    assert (code, answer["detail"]) == (409, "request id already used for a different request")
    await tier.settled()
    assert await tier.events(tier.stream_of(BANDUNG_NIK)) == []


async def test_callers_need_an_officers_key(tier: ServiceTier) -> None:
    assert (await tier.intake.post("/v1/requests", json=form())).status_code == 401
    as_verifier = await tier.intake.post("/v1/requests", json=form(), headers=as_("verifier-1"))
    assert as_verifier.status_code == 403
    assert tier.recorder.documents == {}


async def test_an_invalid_form_names_the_field_never_the_value(tier: ServiceTier) -> None:
    code, answer = await post(tier, form(applicant={"nik": "31740115039"}))
    assert code == 422
    assert "applicant.nik" in json.dumps(answer)
    assert "31740115039" not in json.dumps(answer)
    assert tier.recorder.documents == {}


async def test_a_nik_as_request_id_is_refused_it_would_travel_in_clear(tier: ServiceTier) -> None:
    """A request id is in clear in events, topics, URLs and the dashboard."""
    for request_id in (ADULT_NIK, f"dev-{ADULT_NIK}-1"):
        code, answer = await post(tier, {**form(), "request_id": request_id})
        assert code == 422
        assert answer["errors"][0]["field"] == "request_id"
        assert ADULT_NIK not in json.dumps(answer)
    assert tier.recorder.documents == {}
    code, _ = await post(tier, {**form(), "request_id": "tablet07-20261129-0001"})
    assert code == 201


async def test_a_batch_answers_item_by_item_and_again_changes_nothing(
    tier: ServiceTier,
) -> None:
    items = [
        with_id("batch-req-0001"),
        with_id("batch-req-0001"),  # the device sent it twice
        form(),  # no request_id
        with_id("batch-req-0002", applicant={"nik": "123"}),
        with_id("batch-req-0001", applicant={"address": "Jl. Lain 2"}),
    ]
    response = await tier.intake.post("/v1/requests/batch", json={"items": items}, headers=OFFICER)
    assert response.status_code == 200, response.text
    results = response.json()["items"]
    assert [r["result"] for r in results] == [
        "accepted",
        "duplicate",
        "invalid",
        "invalid",
        "conflict",
    ]
    assert results[2]["errors"][0]["field"] == "request_id"
    assert results[3]["errors"][0]["field"] == "applicant.nik"
    again = await tier.intake.post("/v1/requests/batch", json={"items": items}, headers=OFFICER)
    assert [r["result"] for r in again.json()["items"]][:2] == ["duplicate", "duplicate"]
    await tier.settled()
    assert len(await tier.events(tier.stream_of(ADULT_NIK), "RequestSubmitted")) == 1


async def test_a_batch_over_the_limit_is_refused_whole(tier: ServiceTier) -> None:
    limit = tier.intake_settings.max_batch_items
    items = [with_id(f"batch-req-{n:04}") for n in range(limit + 1)]
    response = await tier.intake.post("/v1/requests/batch", json={"items": items}, headers=OFFICER)
    assert response.status_code == 413
    assert tier.recorder.documents == {}


async def test_the_status_tells_the_holder_of_the_code_nothing_personal(
    tier: ServiceTier,
) -> None:
    code = await submit(tier, form())
    view = await status(tier, code)
    assert (view["status"], view["kind"]) == ("verified", "ektp_recording")
    assert code in view["next_step"]
    assert ADULT_NIK not in json.dumps(view)
    assert "Siti" not in json.dumps(view)
    unknown = await tier.intake.get("/v1/status/JB-00000-00000")
    assert unknown.status_code == 404


async def test_the_status_with_the_code_in_the_body_and_in_another_language(
    tier: ServiceTier,
) -> None:
    """The status page's way: the code in a POST body (no URL to log it), and the reader's
    language when they switch."""
    code = await submit(tier, form(applicant={"birth_date": "1990-03-16"}))  # a review
    by_path = await status(tier, code)
    by_body = await tier.intake.post("/v1/status", json={"tracking_code": code})
    assert by_body.status_code == 200, by_body.text
    assert by_body.json() == by_path
    assert by_path["language"] == "id"
    english = await tier.intake.post("/v1/status", json={"tracking_code": code, "lang": "en"})
    assert english.json()["language"] == "en"
    assert english.json()["next_step"].startswith("An officer is reviewing")
    assert english.json()["reasons"][0]["message"] != by_path["reasons"][0]["message"]
    assert (await tier.intake.get(f"/v1/status/{code}?lang=en")).json() == english.json()
    unknown = await tier.intake.post("/v1/status", json={"tracking_code": "JB-00000-00000"})
    assert unknown.status_code == 404
    nothing = await tier.intake.post("/v1/status", json={"code": code})
    assert nothing.status_code == 422


async def test_an_open_request_can_be_withdrawn_a_decided_one_cannot(
    tier: ServiceTier,
) -> None:
    waiting = await submit(tier, {**birth(), "documents": []})
    assert (await status(tier, waiting))["status"] == "documents_requested"
    withdrawn = await tier.intake.post(
        f"/v1/requests/{waiting}/withdraw", json={"reason": "moved away"}, headers=OFFICER
    )
    assert withdrawn.status_code == 204, withdrawn.text
    await tier.settled()
    assert (await status(tier, waiting))["status"] == "withdrawn"

    decided = await submit(tier, form())
    refused = await tier.intake.post(
        f"/v1/requests/{decided}/withdraw", json={"reason": "changed mind"}, headers=OFFICER
    )
    assert refused.status_code == 409
    assert (await status(tier, decided))["status"] == "verified"
    gone = await tier.intake.post(
        "/v1/requests/JB-00000-00000/withdraw", json={"reason": "x"}, headers=OFFICER
    )
    assert gone.status_code == 403  # an officer hears the same whether it exists or not
    as_verifier = await tier.intake.post(
        "/v1/requests/JB-00000-00000/withdraw", json={"reason": "x"}, headers=as_("verifier-1")
    )
    assert (as_verifier.status_code, as_verifier.json()) == (404, {"detail": NO_CODE})


async def test_documents_brought_later_get_the_request_decided_again(
    tier: ServiceTier,
) -> None:
    code = await submit(tier, {**birth(), "documents": ["birth_letter"]})
    view = await status(tier, code)
    assert view["status"] == "documents_requested"
    supplied = await tier.intake.post(
        f"/v1/requests/{code}/documents",
        json={"documents": ["family_card", "marriage_record"]},
        headers=OFFICER,
    )
    assert supplied.status_code == 204, supplied.text
    await tier.settled()
    assert (await status(tier, code))["status"] == "verified"
    again = await tier.intake.post(
        f"/v1/requests/{code}/documents", json={"documents": ["family_card"]}, headers=OFFICER
    )
    assert again.status_code == 409


async def test_a_stream_too_busy_to_append_to_answers_503_not_500(
    tier: ServiceTier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many writers on one applicant at once (e.g. a batch split over two instances) may
    lose the version race every time: the caller is told to resend (same request id)."""

    async def always_raced(stream_id: str, events: object, expected: int) -> None:
        raise ConcurrencyError(stream_id, expected, expected + 1)

    monkeypatch.setattr(tier.store, "write", always_raced)
    response = await tier.intake.post("/v1/requests", json=form(), headers=as_("officer-1"))
    assert response.status_code == 503, response.text
    assert response.json()["reason"] == "overload"
    assert int(response.headers["Retry-After"]) >= 1
