"""A verifier asks for documents, the whole way round in the in-memory tier: the queue
entry leaves, the applicant is told which documents and why (the rule set's words), the
documents are supplied, the rules send the request back to review, and the second round
is decided and recorded as its own decision. Notification, dashboard and audit follow."""

from __future__ import annotations

from typing import Any

from tests.factories import ADULT_NIK, form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.test_verification_handlers import queued
from tests.unit.service_tier.tier import ServiceTier, as_

MISMATCH = form(applicant={"birth_date": "1990-03-16"})  # goes to manual review, every time
ASK = {"outcome": "documents_requested", "documents": ["family_card"], "reason": "KK buram"}


async def decide(tier: ServiceTier, code: str, who: str, body: dict[str, Any]) -> Any:
    claimed = await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_(who))
    assert claimed.status_code in (200, 409), claimed.text
    return await tier.verification.post(f"/v1/reviews/{code}/decision", json=body, headers=as_(who))


async def test_documents_asked_supplied_reviewed_again_and_decided_again(
    tier: ServiceTier,
) -> None:
    code = await submit(tier, MISMATCH)
    stream = tier.stream_of(ADULT_NIK)
    asked = await decide(tier, code, "verifier-1", ASK)
    assert asked.status_code == 204, asked.text
    await tier.settled()

    # The case left the queue; the applicant waits for documents and is told which, why.
    assert await queued(tier) == []
    view = await status(tier, code)
    assert view["status"] == "documents_requested"
    [reason] = view["reasons"]
    assert reason["code"] == "manual_review_documents"
    assert "Kartu Keluarga (KK)" in reason["message"]
    assert "Petugas yang memeriksa" in reason["message"]
    english = await tier.intake.get(f"/v1/status/{code}", params={"lang": "en"})
    assert "The officer reviewing your e-KTP recording request needs" in str(english.json())
    letter = tier.email.sent[-1]
    assert letter.subject.endswith("dokumen diperlukan")
    assert "Kartu Keluarga (KK)" in letter.text
    assert code in letter.text
    assert "KK buram" not in letter.text  # the verifier's own words stay with auditors

    # A second verifier is told who decided this round, and how.
    late = await decide(tier, code, "verifier-2", {"approved": True, "reason": "ok"})
    assert late.status_code == 409
    assert (late.json()["decided_by"], late.json()["outcome"]) == (
        "verifier-1",
        "documents_requested",
    )
    board = (await tier.dashboard.get("/v1/dashboard/summary", headers=as_("supervisor-1"))).json()
    assert board["totals"]["by_status"] == {"documents_requested": 1}

    supplied = await tier.intake.post(
        f"/v1/requests/{code}/documents",
        json={"documents": ["family_card"]},
        headers=as_("officer-1"),
    )
    assert supplied.status_code == 204, supplied.text
    await tier.settled()

    # The rules ran again: the birth date still differs, so a second round is queued.
    rounds = await tier.events(stream, "ManualReviewRequired")
    assert len(rounds) == 2
    [again] = await queued(tier)
    assert (again["tracking_code"], again["claimed_by"], again["decided_by"]) == (code, None, None)
    assert again["round_id"] == rounds[1].event_id
    approved = await decide(tier, code, "verifier-2", {"outcome": "approved", "reason": "KK ok"})
    assert approved.status_code == 204, approved.text
    await tier.settled()

    assert (await status(tier, code))["status"] == "verified"
    decisions = await tier.events(stream, "ManualReviewDecided")
    assert [(d.payload["outcome"], d.payload["round_id"]) for d in decisions] == [
        ("documents_requested", rounds[0].event_id),
        ("approved", rounds[1].event_id),
    ]
    assert len({d.event_id for d in decisions}) == 2
    told = [m.subject.rsplit(": ", 1)[1] for m in tier.email.sent]
    assert told == [
        "sedang diperiksa petugas",
        "dokumen diperlukan",
        "sedang diperiksa petugas",
        "disetujui",
    ]

    board = (await tier.dashboard.get("/v1/dashboard/summary", headers=as_("supervisor-1"))).json()
    assert board["totals"]["by_status"] == {"verified": 1}
    case = {"case": "INSP-2026-041"}
    auditor = as_("auditor-1")
    lines = (
        await tier.audit.get(f"/v1/audit/streams/{stream}/history", params=case, headers=auditor)
    ).json()
    summaries = [line["summary"] for line in lines if line["event_type"] == "ManualReviewDecided"]
    assert summaries == [
        "documents_requested (family_card) by review: KK buram",
        "approved by review: KK ok",
    ]
    request_id = decisions[0].payload["request_id"]
    explained = (
        await tier.audit.get(
            f"/v1/audit/streams/{stream}/requests/{request_id}/explain",
            params=case,
            headers=auditor,
        )
    ).json()
    assert [e["decided"] for e in explained] == ["ManualReviewRequired", "ManualReviewRequired"]
    assert all(e["replay_matches"] for e in explained)


async def test_a_bad_request_for_documents_is_refused_and_changes_nothing(
    tier: ServiceTier,
) -> None:
    code = await submit(tier, MISMATCH)
    for body in (
        {"outcome": "documents_requested", "reason": "which?"},  # none named
        {"outcome": "documents_requested", "documents": ["passport"], "reason": "x"},
        {"outcome": "rejected", "documents": ["family_card"], "reason": "x"},
        {"outcome": "approved", "approved": True, "reason": "both"},
        {"reason": "neither"},
    ):
        refused = await decide(tier, code, "verifier-1", body)
        assert refused.status_code == 422, body
        assert refused.json()["detail"] == "invalid request"
    await tier.settled()
    assert await tier.events(tier.stream_of(ADULT_NIK), "ManualReviewDecided") == []
    [still] = await queued(tier)
    assert (still["tracking_code"], still["decided_by"]) == (code, None)
