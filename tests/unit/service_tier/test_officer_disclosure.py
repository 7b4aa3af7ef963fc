"""What an officer learns from a decision about a NIK they submit (README, security table,
row "an officer"): the outcome the applicant is told (e.g. that an e-KTP was already
recorded here), nothing of the earlier request or its person, and the asking itself is
recorded in that applicant's history under the officer's key."""

from __future__ import annotations

from tests.factories import ADULT_NIK, OUTREACH, applicant, form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.tier import ServiceTier, as_

EARLIER = ("Siti Aminah", "Jl. Tebet Raya 1", "siti@example.id", "+6281234567890", "SMAN 8")


async def test_an_officer_learns_the_outcome_and_nothing_of_the_earlier_request(
    tier: ServiceTier,
) -> None:
    first = await submit(tier, form())  # e-KTP recorded here: verified
    assert (await status(tier, first))["status"] == "verified"
    sent_before = len(tier.email.sent)

    other_point = {**OUTREACH, "name": "Kantor Kelurahan Manggarai"}
    probe = {
        **form(),
        "applicant": applicant(
            ADULT_NIK,
            full_name="Nama Lain",
            address="Jl. Lain 2",
            email="petugas.coba@example.id",
            phone="+6281300000002",
        ),
        "outreach_point": other_point,
    }
    second = await submit(tier, probe)
    view = await status(tier, second)

    # Revealed, as the applicant must be told: already recorded (no second recording).
    assert view["status"] == "rejected"
    assert [r["code"] for r in view["reasons"]] == ["ektp_already_recorded"]
    assert "sudah pernah direkam" in view["next_step"]
    # Not revealed: the earlier request's code, time, place, person or contact.
    shown = str(view)
    assert first not in shown
    assert [text for text in EARLIER if text in shown] == []
    assert set(view) == {
        *("tracking_code", "kind", "status", "next_step", "reasons", "submitted_at", "language")
    }
    # The decision went to the contact the officer gave, never to the earlier applicant's.
    told = tier.email.sent[sent_before:]
    assert [m.to for m in told] == ["petugas.coba@example.id"]
    assert [text for m in told for text in EARLIER if text in m.text + m.subject] == []

    # The asking is on record: the applicant's history names the officer who submitted it.
    history = await tier.audit.get(
        f"/v1/audit/streams/{tier.stream_of(ADULT_NIK)}/history",
        params={"case": "INSP-2026-100"},
        headers=as_("auditor-1"),
    )
    submitted = [h for h in history.json() if h["event_type"] == "RequestSubmitted"]
    assert [h["actor"] for h in submitted] == ["officer-1", "officer-1"]
    assert "Kantor Kelurahan Manggarai" in submitted[1]["summary"]
