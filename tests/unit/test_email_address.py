"""An applicant's email address is one addr-spec (issue 16 item 6), checked by
`email-validator` (no DNS), at intake and again before notification sends."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notification.channels import ChannelError, EmailChannel, Message
from shared.domain.events import RequestSubmitted, registry
from shared.domain.requests import ONE_ADDRESS, Applicant, one_address
from shared.event_schema import RecordedEvent
from tests.factories import applicant, form

NOT_ONE = [
    "root,probe@example.id",  # two recipients
    "a<b>@example.id",  # sent to b
    "Budi <budi@example.id>",  # a display name
    '"a,b"@example.id',  # a quoted local part
    "a@[127.0.0.1]",  # a domain literal
    "root@localhost",  # no dot in the domain
    "a..b@example.id",
    "ü@example.id",  # needs SMTPUTF8
    "budi@example.id, siti@example.id",
    "budi@example.id\r\nBcc: x@example.id",
]


@pytest.mark.parametrize("address", NOT_ONE)
def test_what_is_not_one_address_is_refused_without_quoting_it(address: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Applicant.model_validate(applicant(email=address))
    [error] = caught.value.errors()
    assert error["loc"] == ("email",)
    assert address not in error["msg"]
    if "@example.id\r" not in address:  # a control character is refused before
        assert ONE_ADDRESS in error["msg"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("siti@example.id", "siti@example.id"),
        ("Siti.Aminah@Example.ID", "Siti.Aminah@example.id"),  # domains are case-blind
        ("a@exämple.id", "a@xn--exmple-cua.id"),  # its IDNA form: what SMTP carries
        ("budi+ektp@sub.example.co.id", "budi+ektp@sub.example.co.id"),
    ],
)
def test_one_address_is_kept_normalized(given: str, kept: str) -> None:
    assert Applicant.model_validate(applicant(email=given)).email == kept
    assert one_address(kept) == kept


def test_an_address_recorded_before_the_check_still_reads() -> None:
    """The log is never rewritten: an event stored with such an address must load."""
    payload = {
        "request_id": "old-0001",
        "tracking_code": "JB-OLD00-00001",
        "form": form(applicant={"email": "root,probe@example.id"}),
        "submitted_by": "officer-1",
        "channel": "http",
    }
    record = RecordedEvent.model_validate(
        {
            "event_id": "e-1",
            "stream_id": "applicant-x",
            "version": 1,
            "position": 1,
            "event_type": "RequestSubmitted",
            "schema_version": 2,
            "occurred_at": "2026-11-30T01:00:00Z",
            "recorded_at": "2026-11-30T01:00:00Z",
            "payload": payload,
            "hash": "0" * 64,
            "prev_hash": "0" * 64,
            "key_id": "test",
        }
    )
    loaded = registry.load(record)
    assert isinstance(loaded, RequestSubmitted)
    assert loaded.form.applicant.email == "root,probe@example.id"


async def test_the_email_channel_sends_nothing_to_an_address_that_is_not_one() -> None:
    channel = EmailChannel("127.0.0.1", 9, "noreply@example.id")  # never reached
    with pytest.raises(ChannelError) as caught:
        await channel.send(Message("root,probe@example.id", "s", "t", key="k"))
    assert (caught.value.code, caught.value.permanent) == ("email:invalid_address", True)
