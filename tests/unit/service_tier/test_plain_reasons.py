"""What applicants read: every reason a rule (or an officer) gives, in plain Bahasa
Indonesia and English, in the status answer and the email, and never as a code."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.messages import DOCUMENT_NAMES
from shared.domain.requests import Document, Language, RequestKind
from shared.domain.rules import REASON_CODES
from shared.rulesets import FOLDER, load_reason_texts
from tests.factories import form
from tests.unit.service_tier.requests import status, submit
from tests.unit.service_tier.test_verification_rules import CASES, Outcome
from tests.unit.service_tier.tier import ServiceTier, as_

MISMATCH_BODY = form(applicant={"birth_date": "1990-03-16"})  # goes to manual review
RULE_SETS = sorted(p.stem for p in FOLDER.glob("*.json"))


def said_as_codes(text: str) -> list[str]:
    return [code for code in REASON_CODES if code in text]


@pytest.mark.parametrize("rule_set_id", RULE_SETS)
@pytest.mark.parametrize("language", list(Language))
def test_every_rule_set_says_every_reason_in_plain_words(
    rule_set_id: str, language: Language
) -> None:
    texts = load_reason_texts(rule_set_id)
    assert set(texts.reasons) == REASON_CODES
    documents = (Document.FAMILY_CARD, Document.BIRTH_LETTER)
    reasons = texts.explain(sorted(REASON_CODES), language, RequestKind.SKDS, "JB-X", documents)
    for reason in reasons:
        assert reason.message.endswith("."), reason
        assert "{" not in reason.message, reason
        assert "None" not in reason.message, reason
        assert said_as_codes(reason.message) == [], reason
    [missing] = [r for r in reasons if r.code == "documents_missing"]
    assert DOCUMENT_NAMES[Document.FAMILY_CARD][language.value] in missing.message
    [age] = [r for r in reasons if r.code == "ektp_under_age"]
    assert "17" in age.message  # the rule set's own number


def told(outcomes: set[Outcome]) -> list[str]:
    return [reason for _, effect, reason in sorted(outcomes) if effect != "passed"]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("body", "outcomes"),
    [pytest.param(body, outcomes, id=name) for name, body, _, outcomes in CASES],
)
async def test_each_outcome_is_told_in_plain_words(
    tier: ServiceTier, body: dict[str, Any], outcomes: set[Outcome], language: str
) -> None:
    body = {**body, "applicant": {**body["applicant"], "language": language}}
    code = await submit(tier, body)
    view = await status(tier, code)
    expected = told(outcomes)
    assert [r["code"] for r in view["reasons"]] == expected
    texts = load_reason_texts(tier.verification_settings.rule_set_id)
    for reason in view["reasons"]:
        assert (
            reason["message"]
            == texts.explain(
                [reason["code"]],
                Language(language),
                RequestKind(view["kind"]),
                code,
                _missing(body),
            )[0].message
        )
        assert reason["message"] in view["next_step"]
    assert said_as_codes(view["next_step"]) == []
    if expected:  # a decision worth telling: the email says the same sentences
        [email] = tier.email.sent
        assert email.language == language  # the Content-Language header
        assert said_as_codes(email.text) == said_as_codes(email.subject) == []
        for reason in view["reasons"]:
            assert reason["message"] in email.text


def _missing(body: dict[str, Any]) -> tuple[Document, ...]:
    """The documents a birth certificate lacks (the only kind these cases ask for)."""
    needed = {Document.BIRTH_LETTER, Document.FAMILY_CARD}
    if body["details"].get("parents_married"):
        needed.add(Document.MARRIAGE_RECORD)
    return tuple(sorted(needed - {Document(d) for d in body["documents"]}))


@pytest.mark.parametrize(("language", "words"), [("id", "Petugas"), ("en", "An officer")])
async def test_an_officers_rejection_is_told_with_a_reason(
    tier: ServiceTier, language: str, words: str
) -> None:
    body = {**MISMATCH_BODY, "applicant": {**MISMATCH_BODY["applicant"], "language": language}}
    code = await submit(tier, body)
    in_review = await status(tier, code)
    assert [r["code"] for r in in_review["reasons"]] == ["nik_birth_or_sex_mismatch"]
    await tier.verification.post(f"/v1/reviews/{code}/claim", headers=as_("verifier-1"))
    decided = await tier.verification.post(
        f"/v1/reviews/{code}/decision",
        json={"approved": False, "reason": "no family card shown"},
        headers=as_("verifier-1"),
    )
    assert decided.status_code == 204, decided.text
    await tier.settled()
    view = await status(tier, code)
    [reason] = view["reasons"]
    assert reason["code"] == "manual_review_rejected"
    assert reason["message"].startswith(words)
    assert code in reason["message"]  # what to bring to the office
    assert tier.email.sent[-1].text.count(reason["message"]) == 1
