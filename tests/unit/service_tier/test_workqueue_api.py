"""What the verifiers' workqueue asks of the review API: filters, the reasons in plain
words in the reader's language, who holds a case, who decided it and how."""

from __future__ import annotations

from typing import Any

from tests.factories import form
from tests.unit.service_tier.requests import submit
from tests.unit.service_tier.tier import ServiceTier, as_

MISMATCH = form(applicant={"birth_date": "1990-03-16"})  # goes to manual review


async def listed(tier: ServiceTier, query: str = "") -> list[str]:
    response = await tier.verification.get(f"/v1/reviews{query}", headers=as_("verifier-1"))
    assert response.status_code == 200, response.text
    reviews: list[dict[str, Any]] = response.json()
    return [r["tracking_code"] for r in reviews]


async def test_the_queue_narrows_by_kind_kecamatan_and_reason(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    assert await listed(tier) == [code]
    assert await listed(tier, "?kind=ektp_recording&kecamatan=317401") == [code]
    assert await listed(tier, "?reason=nik_birth_or_sex_mismatch") == [code]
    assert await listed(tier, "?kind=skds") == []
    assert await listed(tier, "?kecamatan=317402") == []
    assert await listed(tier, "?reason=ektp_under_age") == []
    bad = await tier.verification.get("/v1/reviews?kecamatan=31", headers=as_("verifier-1"))
    assert bad.status_code == 422


async def test_a_case_tells_its_reasons_in_the_readers_words(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    said = {}
    for lang in ("id", "en"):
        case = await tier.verification.get(
            f"/v1/reviews/{code}?lang={lang}", headers=as_("verifier-1")
        )
        assert case.status_code == 200, case.text
        [reason] = case.json()["reasons"]
        assert reason["code"] == "nik_birth_or_sex_mismatch"
        said[lang] = reason["message"]
        assert case.json()["review"]["kecamatan_code"] == "317401"
        assert case.json()["documents"] == []
    assert "NIK" in said["id"]
    assert said["id"] != said["en"]


async def test_a_claim_names_its_holder_and_a_decision_its_maker(tier: ServiceTier) -> None:
    code = await submit(tier, MISMATCH)
    one, two = as_("verifier-1"), as_("verifier-2")
    mine = await tier.verification.post(f"/v1/reviews/{code}/claim", headers=one)
    assert mine.json()["claimed_by"] == "verifier-1"
    assert mine.json()["claimed_until"] is not None
    taken = await tier.verification.post(f"/v1/reviews/{code}/claim", headers=two)
    assert taken.status_code == 409
    assert taken.json()["claimed_by"] == "verifier-1"
    assert taken.json()["detail"] == "claimed by verifier-1"
    unclaimed = await tier.verification.post(
        f"/v1/reviews/{code}/decision", json={"approved": True, "reason": "ok"}, headers=two
    )
    assert unclaimed.status_code == 409
    assert unclaimed.json()["claimed_by"] == "verifier-1"
    decided = await tier.verification.post(
        f"/v1/reviews/{code}/decision", json={"approved": False, "reason": "not her"}, headers=one
    )
    assert decided.status_code == 204
    await tier.settled()
    for attempt in (
        tier.verification.post(f"/v1/reviews/{code}/claim", headers=two),
        tier.verification.post(
            f"/v1/reviews/{code}/decision", json={"approved": True, "reason": "x"}, headers=one
        ),
    ):
        late = await attempt
        assert late.status_code == 409
        assert (late.json()["decided_by"], late.json()["approved"]) == ("verifier-1", False)
        assert late.json()["detail"] == "already decided by verifier-1: rejected"
    assert code not in await listed(tier)
    missing = await tier.verification.post("/v1/reviews/JB-00000-00000/claim", headers=one)
    assert missing.status_code == 404
