"""What an outreach officer records: the request, its applicant, where it was taken.

Strict models (unknown fields refused, every string bounded, no control characters) so
that bad input is stopped at the edge with a field-level message and nothing is stored.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
)

from shared.domain.nik import Sex
from shared.event_schema.registry import recorded

# Control (Cc, C0 and C1), format (Cf: bidi overrides like U+202E, zero-width spaces),
# line and paragraph separators (Zl U+2028, Zp U+2029: a line break in an email's
# greeting), surrogate, private-use and unassigned code points: invisible or misleading in
# a name on a letter, and some reorder what a reader sees. Spaces (Zs) are ordinary text.
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
EARLIEST_BIRTH = date(1900, 1, 1)


def _printable(value: str) -> str:
    value = unicodedata.normalize("NFC", value)  # one spelling per text, as stored
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value):
        raise ValueError(
            "must not contain control, format, line or paragraph separator, or unassigned "
            "characters"
        )
    return value


def visible(value: str) -> str:
    """`value` without the characters `Text` refuses (for what was stored before)."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in REFUSED_CATEGORIES)


def _a_past_date(value: date) -> date:
    # A day of slack: the device's "today" may already be tomorrow east of UTC.
    if not EARLIEST_BIRTH <= value <= date.today() + timedelta(days=1):
        raise ValueError("must be a date between 1900 and today")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
PastDate = Annotated[date, AfterValidator(_a_past_date)]
Digits16 = Annotated[str, StringConstraints(pattern=r"^[0-9]{16}$")]
KecamatanCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
ONE_ADDRESS = "must be one email address (name@domain.tld): no display name, quotes or list"


def one_address(value: str) -> str:
    """One addr-spec, normalized (the domain in lower case, ASCII), by a kept validator; else
    ValueError. A pattern let `root,probe@example.id` through (two recipients) and
    `a<b>@example.id` (sent to `b`). No DNS here (deliverability is not checked); ASCII
    local parts only, as an SMTP server without SMTPUTF8 would refuse the rest."""
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValueError(ONE_ADDRESS) from None  # its own words may quote the address
    # ASCII throughout (an internationalized domain in its IDNA form): what SMTP carries.
    return checked.ascii_email or checked.normalized


def _a_new_address(value: str, info: ValidationInfo) -> str:
    # An address recorded before this check still reads: the log is never rewritten, and
    # notification checks the address again before it sends (services/notification).
    return value if recorded(info) else one_address(value)


Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(_printable),  # no bidi overrides in an address
    AfterValidator(_a_new_address),
]
# `+` and 8 to 15 digits, nothing else (the whole value: pydantic's patterns are anchored
# by `^…$` over the whole text, with no trailing newline allowed).
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{8,15}$")]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestKind(StrEnum):
    EKTP_RECORDING = "ektp_recording"
    BIRTH_CERTIFICATE = "birth_certificate"
    SKDS = "skds"


class OutreachPointKind(StrEnum):
    KELURAHAN_OFFICE = "kelurahan_office"
    SCHOOL = "school"
    GOVERNMENT_OFFICE = "government_office"
    NIGHT_SERVICE = "night_service"
    COUNTER = "counter"


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class Document(StrEnum):
    BIRTH_LETTER = "birth_letter"  # from the hospital or midwife
    FAMILY_CARD = "family_card"  # the parents' KK
    MARRIAGE_RECORD = "marriage_record"
    DOMICILE_STATEMENT = "domicile_statement"  # from the RT/RW where one lives (SKDS)
    ORIGIN_ID_CARD = "origin_id_card"  # the e-KTP of one's home region (SKDS)


class Language(StrEnum):
    INDONESIAN = "id"
    ENGLISH = "en"


class OutreachPoint(Strict):
    kind: OutreachPointKind
    name: Text
    kelurahan: Text
    kecamatan_code: KecamatanCode


class Applicant(Strict):
    nik: Digits16
    full_name: Text
    birth_date: PastDate
    sex: Sex
    marital_status: MaritalStatus = MaritalStatus.SINGLE
    address: Text
    language: Language = Language.INDONESIAN
    email: Email | None = None
    phone: Phone | None = None


# `kind` has no default: it chooses the variant, and a default would make `details: {}`
# valid by the published schema while the discriminator refuses it.
class EktpRecording(Strict):
    kind: Literal[RequestKind.EKTP_RECORDING]


class BirthCertificate(Strict):
    kind: Literal[RequestKind.BIRTH_CERTIFICATE]
    child_name: Text
    child_birth_date: PastDate
    child_sex: Sex
    place_of_birth: Text
    family_card_number: Digits16
    mother_nik: Digits16
    father_nik: Digits16 | None = None
    parents_married: StrictBool
    birth_letter_reference: Text


class Skds(Strict):
    kind: Literal[RequestKind.SKDS]
    city_address: Text
    stay_months: StrictInt = Field(ge=1, le=24)


Details = Annotated[EktpRecording | BirthCertificate | Skds, Field(discriminator="kind")]


class RequestForm(Strict):
    """One request as an officer's device sends it."""

    applicant: Applicant
    details: Details
    outreach_point: OutreachPoint
    device_id: Text
    documents: frozenset[Document] = frozenset()

    @property
    def kind(self) -> RequestKind:
        return self.details.kind
