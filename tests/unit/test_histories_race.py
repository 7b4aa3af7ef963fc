"""Two processes decide the same cause at once (a rebalance hands one event to both): the
decision's id is derived from its cause, so the second finds it stored, with its own
timestamp rather than ours; that is a lost race, not a conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.applicant import ApplicantHistory
from shared.domain.events import RequestSubmitted, RequestVerified
from shared.eventstore.chain import ChainKeys
from shared.eventstore.errors import IdempotencyConflictError
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import PersonalData
from shared.repositories.histories import ApplicantHistories, Decide, ToRecord
from shared.retention import load_policy
from tests.factories import request_form

STREAM = "applicant-race"
SUBMITTED = RequestSubmitted(
    request_id="r1", tracking_code="JB-1", form=request_form(), submitted_by="o", channel="http"
)
VERIFIED = RequestVerified(
    request_id="r1", rule_set_id="jaksel-2026.12", region_table="t", outcomes=()
)


def process(
    recorder: InMemoryRecorder, keys: ChainKeys, data: InMemoryDataKeys
) -> ApplicantHistories:
    """One service process: its own store (and stream cache) over the shared database."""
    ring = Keyring("k1", {"k1": kek_from_secret("k1", "kek-0123456789abcdef0123456789")})
    personal = PersonalData(data, ring, load_policy("jaksel-2026.12"), load_policy)
    return ApplicantHistories(EventStore(recorder, keys), b"pseudonym-0123456789", personal)


def verify_at(moment: datetime) -> Decide:
    def decide(history: ApplicantHistory) -> list[ToRecord]:
        if not history.requests["r1"].awaiting_decision:
            return []
        return [ToRecord(VERIFIED, "decision-of-e1", moment)]

    return decide


async def test_the_second_decider_of_one_cause_finds_it_decided(chain_keys: ChainKeys) -> None:
    recorder, data = InMemoryRecorder(), InMemoryDataKeys()
    first, second = process(recorder, chain_keys, data), process(recorder, chain_keys, data)
    await first.record(STREAM, lambda _: [ToRecord(SUBMITTED, "e1")])
    await second.load(STREAM)  # the second process holds the stream as it was
    now = datetime.now(UTC)
    _, stored = await first.record(STREAM, verify_at(now))
    _, again = await second.record(STREAM, verify_at(now + timedelta(milliseconds=7)))
    assert [r.event_id for r in stored] == ["decision-of-e1"]
    assert again == []  # nothing recorded twice, nothing raised
    assert len(await EventStore(recorder, chain_keys).read_stream(STREAM)) == 2


async def test_an_id_reused_for_another_event_is_still_a_conflict(chain_keys: ChainKeys) -> None:
    recorder, data = InMemoryRecorder(), InMemoryDataKeys()
    one = process(recorder, chain_keys, data)
    await one.record(STREAM, lambda _: [ToRecord(SUBMITTED, "e1")])
    other = RequestSubmitted(
        request_id="r2", tracking_code="JB-2", form=request_form(), submitted_by="o", channel="http"
    )
    with pytest.raises(IdempotencyConflictError):
        await one.record("applicant-other", lambda _: [ToRecord(other, "e1")])
