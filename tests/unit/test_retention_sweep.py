"""The retention sweep: contact data of applicants whose requests all closed longer ago than
the policy keeps it is erased (and recorded); open or recent ones are left alone."""

from __future__ import annotations

from datetime import timedelta

from services.audit.erasure import erase, sweep
from shared.domain.events import PersonalDataErased, RequestRejected, RequestSubmitted
from shared.event_schema.base import utc_millis
from shared.eventstore.chain import ChainKeys
from shared.eventstore.memory import InMemoryRecorder
from shared.eventstore.store import EventStore
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.privacy.keys import InMemoryDataKeys
from shared.privacy.personal_data import PersonalData
from shared.privacy.policy import ERASED
from shared.repositories.histories import ApplicantHistories, ToRecord
from shared.retention import load_policy
from tests.factories import request_form


def applicants(chain_keys: ChainKeys) -> ApplicantHistories:
    ring = Keyring("k1", {"k1": kek_from_secret("k1", "kek-0123456789abcdef0123456789")})
    policy = load_policy("jaksel-2026.12")
    personal = PersonalData(InMemoryDataKeys(), ring, policy, load_policy)
    return ApplicantHistories(
        EventStore(InMemoryRecorder(), chain_keys), b"pseudonym-0123456789", personal
    )


async def applicant(a: ApplicantHistories, n: int, closed_days_ago: int | None) -> str:
    stream = a.stream_of(f"31740115039000{n:02}")
    then = utc_millis() - timedelta(days=(closed_days_ago or 0) + 1)
    todo = [
        ToRecord(
            RequestSubmitted(
                request_id="r",
                tracking_code=f"JB-{n}",
                form=request_form("skds"),
                submitted_by="officer-1",
                channel="http",
            ),
            f"submit-{n}",
            then,
        )
    ]
    if closed_days_ago is not None:
        rejected = RequestRejected(
            request_id="r",
            rule_set_id="jaksel-2026.12",
            region_table="t",
            outcomes=(),
            reasons=("x",),
        )
        todo.append(ToRecord(rejected, f"reject-{n}", utc_millis() - timedelta(closed_days_ago)))
    await a.record(stream, lambda _: todo)
    return stream


async def test_the_sweep_erases_only_what_the_policy_no_longer_keeps(
    chain_keys: ChainKeys,
) -> None:
    a = applicants(chain_keys)
    old = await applicant(a, 1, closed_days_ago=31)
    recent = await applicant(a, 2, closed_days_ago=5)
    still_open = await applicant(a, 3, closed_days_ago=None)
    done = await sweep(a)
    assert [e.stream_id for e in done] == [old]
    assert (await a.load(old)).requests["r"].form.applicant.address == ERASED
    for kept in (recent, still_open):
        assert (await a.load(kept)).requests["r"].form.applicant.email == "siti@example.id"
    [erased] = [r for r in await a.read(old) if r.event_type == PersonalDataErased.event_type]
    assert erased.payload["erased_by"] == "retention"
    assert erased.payload["case_reference"] == "retention:jaksel-2026.12"
    assert await sweep(a) == []  # nothing left to erase


async def test_erasing_again_destroys_nothing_more_and_says_so(chain_keys: ChainKeys) -> None:
    a = applicants(chain_keys)
    stream = await applicant(a, 1, closed_days_ago=None)
    first = await erase(a, stream, await a.read(stream), ["contact"], "C-1", "aud", "asked")
    assert first.keys_destroyed == 1
    again = await erase(a, stream, await a.read(stream), ["contact"], "C-1", "aud", "asked")
    assert again.keys_destroyed == 0
    kinds = [r.event_type for r in await a.read(stream)]
    assert kinds.count(PersonalDataErased.event_type) == 2  # the second names no key
