"""Every rule's verdict reached through the verification handler: a request submitted
over HTTP, decided from the events topic, the decision read back from the log.

Dates are relative to today, as the rules judge a request on the day it was made.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.factories import ADULT_NIK, BANDUNG_NIK, CENTRAL_JAKARTA_NIK, applicant, form
from tests.unit.service_tier.requests import birth, submit
from tests.unit.service_tier.tier import ServiceTier

TODAY = date.today()
Outcome = tuple[str, str, str]  # (rule, effect, reason)


def nik_born(born: date, female: bool = False, region: str = "317401") -> str:
    day = born.day + (40 if female else 0)
    return f"{region}{day:02}{born.month:02}{born.year % 100:02}0001"


FIFTEEN = nik_born(date(TODAY.year - 15, 1, 1), female=True)  # 14 or 15: under 17


def dated(body: dict[str, Any], days_ago: int) -> dict[str, Any]:
    """As a device whose request was made `days_ago` days before it reached jemput."""
    return {**body, "occurred_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()}


async def decision(tier: ServiceTier, nik: str, nth: int = 0) -> tuple[str, set[Outcome]]:
    """The nth decision on the applicant's stream: its type, and each outcome that says
    more than `passed`."""
    decisions = [r for r in await tier.events(tier.stream_of(nik)) if "outcomes" in r.payload]
    made = decisions[nth]
    return made.event_type, {
        (o["rule"], o["effect"], o["reason"])
        for o in made.payload["outcomes"]
        if o["effect"] != "passed" or o["reason"] is not None
    }


CASES: list[tuple[str, dict[str, Any], str, set[Outcome]]] = [
    ("every rule passes", form(), "RequestVerified", set()),
    (
        "NIK with no valid birth date",
        form(applicant={"nik": "3174013213900001"}),
        "RequestRejected",
        {("nik_structure", "reject", "nik_birth_date")},
    ),
    (
        "NIK with serial 0000",
        form(applicant={"nik": "3174011503900000"}),
        "RequestRejected",
        {("nik_structure", "reject", "nik_serial")},
    ),
    (
        "NIK from no known kecamatan",
        form(applicant=applicant("9999011503900001")),
        "RequestRejected",
        {("nik_region", "reject", "nik_unknown_region")},
    ),
    (
        "declared birth date differs from the NIK's",
        form(applicant={"birth_date": "1990-03-16"}),
        "ManualReviewRequired",
        {("nik_matches_declared", "manual_review", "nik_birth_or_sex_mismatch")},
    ),
    (
        "under age for an e-KTP",
        form(applicant=applicant(FIFTEEN)),
        "RequestRejected",
        {("ektp_age", "reject", "ektp_under_age")},
    ),
    (
        "under age but married",
        form(applicant={**applicant(FIFTEEN), "marital_status": "married"}),
        "RequestVerified",
        {("ektp_age", "passed", "married_under_age")},
    ),
    (
        "SKDS for a resident of the city",
        form("skds", ADULT_NIK),
        "RequestRejected",
        {("skds_from_elsewhere", "reject", "skds_resident_of_province")},
    ),
    (
        "SKDS for a resident of another Jakarta city",
        form("skds", CENTRAL_JAKARTA_NIK),
        "RequestRejected",
        {("skds_from_elsewhere", "reject", "skds_resident_of_province")},
    ),
    (
        "SKDS for a stay too long",
        form("skds", BANDUNG_NIK, details={"stay_months": 13}),
        "RequestRejected",
        {("skds_from_elsewhere", "reject", "skds_stay_too_long")},
    ),
    (
        "documents missing",
        {**birth(), "documents": ["birth_letter"]},
        "DocumentsRequested",
        {("required_documents", "request_documents", "documents_missing")},
    ),
    (
        "a birth after the day of the request",
        dated(birth(child_birth_date=(TODAY - timedelta(days=3)).isoformat()), days_ago=5),
        "RequestRejected",
        {("birth_date_plausible", "reject", "birth_in_future")},
    ),
    (
        "a birth registered late",
        birth(child_birth_date=(TODAY - timedelta(days=100)).isoformat()),
        "ManualReviewRequired",
        {("birth_date_plausible", "manual_review", "late_registration")},
    ),
    (
        "a parent's NIK that cannot be one",
        birth(mother_nik="3174019999990002"),
        "RequestRejected",
        {("parents_niks", "reject", "parent_nik_invalid")},
    ),
    (
        "a family card from no known kecamatan",
        birth(family_card_number="9999010101200001"),
        "RequestRejected",
        {("parents_niks", "reject", "family_card_unknown_region")},
    ),
    (
        "dated before the offline window",
        dated(form(), days_ago=10),
        "ManualReviewRequired",
        {("within_offline_window", "manual_review", "dated_before_offline_window")},
    ),
]


@pytest.mark.parametrize(
    ("body", "decided", "outcomes"),
    [pytest.param(body, decided, outcomes, id=name) for name, body, decided, outcomes in CASES],
)
async def test_each_rule_verdict_reaches_the_log(
    tier: ServiceTier, body: dict[str, Any], decided: str, outcomes: set[Outcome]
) -> None:
    await submit(tier, body)
    assert await decision(tier, body["applicant"]["nik"]) == (decided, outcomes)


async def test_a_second_ektp_after_one_was_recorded_is_rejected(tier: ServiceTier) -> None:
    await submit(tier, form())
    await submit(tier, form())
    assert await decision(tier, ADULT_NIK, nth=1) == (
        "RequestRejected",
        {("ektp_not_recorded", "reject", "ektp_already_recorded")},
    )


async def test_a_second_request_while_the_first_is_open_is_rejected(tier: ServiceTier) -> None:
    await submit(tier, {**birth(), "documents": []})  # waits for documents: open
    await submit(tier, birth())
    assert await decision(tier, ADULT_NIK, nth=1) == (
        "RequestRejected",
        {("no_open_duplicate", "reject", "duplicate_open_request")},
    )


async def test_the_strongest_verdict_decides(tier: ServiceTier) -> None:
    """A rejection beats a request for documents, which beats a manual review."""
    late_and_missing = birth(child_birth_date=(TODAY - timedelta(days=100)).isoformat())
    await submit(tier, {**late_and_missing, "documents": ["birth_letter"]})
    decided, outcomes = await decision(tier, ADULT_NIK)
    assert decided == "DocumentsRequested"
    assert {o[1] for o in outcomes} == {"request_documents", "manual_review"}
