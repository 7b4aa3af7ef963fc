"""Verification rules: code for the logic, versioned data (shared/rulesets/*.json) for
the numbers.

Every decision records the rule set's id, the region table's version and each rule's
outcome, so it can be explained, and re-evaluated, from the log alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.domain.applicant import ApplicantHistory, RequestState
from shared.domain.events import (
    Decision,
    DocumentsRequested,
    ManualReviewRequired,
    RequestRejected,
    RequestVerified,
    RuleEffect,
    RuleOutcome,
)
from shared.domain.nik import NikError, age_on, parse_nik
from shared.domain.regions import RegionTable
from shared.domain.requests import BirthCertificate, Document, MaritalStatus, RequestKind, Skds


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    description: str
    city_regency_code: str
    ektp_min_age: int
    birth_registration_days: int
    birth_certificate_documents: frozenset[Document]
    birth_certificate_documents_if_married: frozenset[Document]
    skds_documents: frozenset[Document]
    skds_max_months: int
    # Who needs no SKDS: residents of the city (until 2026.12) or, as the law says, of the
    # province (DKI Jakarta, NIK province code 31): a KTP from another Jakarta city will do.
    skds_home: Literal["city", "province"] = "city"
    # How many days before it reached jemput a device may date a request (the longest a
    # device is offline); older dates go to an officer. None: not checked (2026.11).
    offline_window_days: int | None = None

    def documents(self) -> frozenset[Document]:
        """Every document this rule set names: what a verifier may ask an applicant for."""
        return (
            self.birth_certificate_documents
            | self.birth_certificate_documents_if_married
            | self.skds_documents
        )


@dataclass(frozen=True)
class Context:
    """What the rules look at: the request, the applicant's other requests, the date."""

    request: RequestState
    history: ApplicantHistory
    on: date  # the day the request was made, as the device dated it: the rules judge it so
    rules: RuleSet
    regions: RegionTable
    received: date | None = None  # the day it reached the log (the server's clock)


Rule = Callable[[Context], RuleOutcome | None]  # None: the rule does not apply


def _outcome(
    rule: str,
    effect: RuleEffect = RuleEffect.PASSED,
    reason: str | None = None,
    documents: frozenset[Document] = frozenset(),
) -> RuleOutcome:
    return RuleOutcome(rule=rule, effect=effect, reason=reason, documents=tuple(sorted(documents)))


def nik_structure(ctx: Context) -> RuleOutcome:
    try:
        parse_nik(ctx.request.form.applicant.nik, ctx.on)
    except NikError as error:
        return _outcome("nik_structure", RuleEffect.REJECT, error.code)
    return _outcome("nik_structure")


def nik_region(ctx: Context) -> RuleOutcome:
    known = ctx.regions.kecamatan(ctx.request.form.applicant.nik[:6]) is not None
    return (
        _outcome("nik_region")
        if known
        else _outcome("nik_region", RuleEffect.REJECT, "nik_unknown_region")
    )


def nik_matches_declared(ctx: Context) -> RuleOutcome | None:
    applicant = ctx.request.form.applicant
    try:
        nik = parse_nik(applicant.nik, ctx.on)
    except NikError:
        return None  # nik_structure already says so
    if (nik.birth_date, nik.sex) != (applicant.birth_date, applicant.sex):
        # Often a typing slip on the device: an officer looks before anyone is refused.
        return _outcome(
            "nik_matches_declared", RuleEffect.MANUAL_REVIEW, "nik_birth_or_sex_mismatch"
        )
    return _outcome("nik_matches_declared")


def ektp_age(ctx: Context) -> RuleOutcome | None:
    if ctx.request.kind is not RequestKind.EKTP_RECORDING:
        return None
    applicant = ctx.request.form.applicant
    if age_on(applicant.birth_date, ctx.on) >= ctx.rules.ektp_min_age:
        return _outcome("ektp_age")
    if applicant.marital_status is not MaritalStatus.SINGLE:
        return _outcome("ektp_age", reason="married_under_age")
    return _outcome("ektp_age", RuleEffect.REJECT, "ektp_under_age")


def ektp_not_recorded(ctx: Context) -> RuleOutcome | None:
    if ctx.request.kind is not RequestKind.EKTP_RECORDING:
        return None
    if ctx.history.ektp_recorded():
        return _outcome("ektp_not_recorded", RuleEffect.REJECT, "ektp_already_recorded")
    return _outcome("ektp_not_recorded")


def no_open_duplicate(ctx: Context) -> RuleOutcome:
    if ctx.history.open_requests_before(ctx.request.kind, ctx.request.request_id):
        return _outcome("no_open_duplicate", RuleEffect.REJECT, "duplicate_open_request")
    return _outcome("no_open_duplicate")


def skds_from_elsewhere(ctx: Context) -> RuleOutcome | None:
    details = ctx.request.form.details
    if not isinstance(details, Skds):
        return None
    home = (
        ctx.rules.city_regency_code
        if ctx.rules.skds_home == "city"
        else ctx.rules.city_regency_code[:2]
    )
    if ctx.request.form.applicant.nik.startswith(home):
        return _outcome(
            "skds_from_elsewhere", RuleEffect.REJECT, f"skds_resident_of_{ctx.rules.skds_home}"
        )
    if details.stay_months > ctx.rules.skds_max_months:
        return _outcome("skds_from_elsewhere", RuleEffect.REJECT, "skds_stay_too_long")
    return _outcome("skds_from_elsewhere")


def required_documents(ctx: Context) -> RuleOutcome | None:
    details = ctx.request.form.details
    if isinstance(details, BirthCertificate):
        needed = ctx.rules.birth_certificate_documents
        if details.parents_married:
            needed = needed | ctx.rules.birth_certificate_documents_if_married
    elif isinstance(details, Skds):
        needed = ctx.rules.skds_documents
    else:
        return None
    missing = needed - ctx.request.documents
    if missing:
        return _outcome(
            "required_documents", RuleEffect.REQUEST_DOCUMENTS, "documents_missing", missing
        )
    return _outcome("required_documents")


def birth_date_plausible(ctx: Context) -> RuleOutcome | None:
    details = ctx.request.form.details
    if not isinstance(details, BirthCertificate):
        return None
    if details.child_birth_date > ctx.on:
        return _outcome("birth_date_plausible", RuleEffect.REJECT, "birth_in_future")
    if (ctx.on - details.child_birth_date).days > ctx.rules.birth_registration_days:
        return _outcome("birth_date_plausible", RuleEffect.MANUAL_REVIEW, "late_registration")
    return _outcome("birth_date_plausible")


def parents_niks(ctx: Context) -> RuleOutcome | None:
    details = ctx.request.form.details
    if not isinstance(details, BirthCertificate):
        return None
    for nik in filter(None, (details.mother_nik, details.father_nik)):
        try:
            parse_nik(nik, ctx.on)
        except NikError:
            return _outcome("parents_niks", RuleEffect.REJECT, "parent_nik_invalid")
    if ctx.regions.kecamatan(details.family_card_number[:6]) is None:
        return _outcome("parents_niks", RuleEffect.REJECT, "family_card_unknown_region")
    return _outcome("parents_niks")


def within_offline_window(ctx: Context) -> RuleOutcome | None:
    """A device dates its requests with its own clock, which can be set back (a late birth
    registration would then pass as timely): a date older than the offline window is
    for an officer to judge."""
    window = ctx.rules.offline_window_days
    if window is None or ctx.received is None:
        return None
    if (ctx.received - ctx.on).days > window:
        return _outcome(
            "within_offline_window", RuleEffect.MANUAL_REVIEW, "dated_before_offline_window"
        )
    return _outcome("within_offline_window")


# Every reason a rule can give (a rejection, documents, a review), and the officer's own:
# each rule set's messages file says each in plain words (a test checks).
REASON_CODES = frozenset(
    {
        "nik_format",
        "nik_serial",
        "nik_birth_date",
        "nik_unknown_region",
        "nik_birth_or_sex_mismatch",
        "ektp_under_age",
        "ektp_already_recorded",
        "duplicate_open_request",
        "skds_resident_of_city",
        "skds_resident_of_province",
        "skds_stay_too_long",
        "documents_missing",
        "birth_in_future",
        "late_registration",
        "parent_nik_invalid",
        "family_card_unknown_region",
        "dated_before_offline_window",
        "manual_review_rejected",
        "manual_review_documents",
    }
)

RULES: tuple[Rule, ...] = (
    nik_structure,
    nik_region,
    nik_matches_declared,
    ektp_age,
    ektp_not_recorded,
    no_open_duplicate,
    skds_from_elsewhere,
    required_documents,
    birth_date_plausible,
    parents_niks,
    within_offline_window,
)


def decide(ctx: Context) -> Decision:
    """Run every rule; the strongest effect decides: reject > documents > review > verify."""
    outcomes = tuple(o for o in (rule(ctx) for rule in RULES) if o is not None)
    common = {
        "request_id": ctx.request.request_id,
        "rule_set_id": ctx.rules.id,
        "region_table": ctx.regions.version,
        "outcomes": outcomes,
    }

    def reasons(effect: RuleEffect) -> tuple[str, ...]:
        return tuple(o.reason or o.rule for o in outcomes if o.effect is effect)

    if reasons(RuleEffect.REJECT):
        return RequestRejected(**common, reasons=reasons(RuleEffect.REJECT))
    if reasons(RuleEffect.REQUEST_DOCUMENTS):
        missing = sorted({d for o in outcomes for d in o.documents})
        return DocumentsRequested(**common, documents=tuple(missing))
    if reasons(RuleEffect.MANUAL_REVIEW):
        return ManualReviewRequired(**common, reasons=reasons(RuleEffect.MANUAL_REVIEW))
    return RequestVerified(**common)
