"""Erasure by crypto-shredding, approved by an auditor or due under the retention policy.

The erasure is recorded first (an event naming the classes and the keys, no personal
data), then the keys are destroyed: a crash in between leaves an erasure every reader
already honours (the event names the keys), and running it again finishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel

from shared.domain.applicant import OPEN, ApplicantHistory
from shared.domain.events import PersonalDataErased, RequestSubmitted
from shared.event_schema import RecordedEvent
from shared.event_schema.base import utc_millis
from shared.privacy.keys import key_doc_id
from shared.privacy.personal_data import MARKER, key_generations
from shared.privacy.policy import ERASABLE, DataClass
from shared.repositories.histories import ApplicantHistories, ToRecord, derived_id

RETENTION_CALLER = "retention"


class ErasedMeanwhileError(RuntimeError):
    """Two erasures of one applicant at once: the second must look at the keys again."""


class Erasure(BaseModel):
    stream_id: str
    classes: list[str]
    event_id: str
    keys_destroyed: int
    # Events stored in clear before personal data was sealed: the log is insert-only, so
    # their fields cannot be erased by destroying a key (docs/adr/0009-personal-data.md).
    clear_text_events: int


def clear_text_events(records: Sequence[RecordedEvent]) -> int:
    return sum(
        r.event_type == RequestSubmitted.event_type and MARKER not in r.payload for r in records
    )


async def erase(
    histories: ApplicantHistories,
    stream_id: str,
    records: Sequence[RecordedEvent],
    classes: Sequence[str],
    case: str,
    by: str,
    reason: str,
) -> Erasure:
    chosen = sorted(set(classes))
    if not chosen or set(chosen) - {c.value for c in ERASABLE}:
        raise ValueError("only erasable classes can be erased: " + ", ".join(sorted(ERASABLE)))
    personal = histories.personal
    # The keys in use are those of the generation the log is at; once the erasure is
    # recorded, writers seal under the next one (a new key at once, never this one).
    generations = {c: key_generations(records).get(c, 0) for c in chosen}
    refs = sorted((await personal.key_refs(stream_id, chosen, generations)).values())
    clear = clear_text_events(records)
    event_id = derived_id("erase", stream_id, case, *chosen, *refs)
    erased = PersonalDataErased(
        classes=tuple(chosen),
        key_refs=tuple(refs),
        case_reference=case,
        erased_by=by,
        reason=reason,
        clear_events=clear,
    )

    def decide(history: ApplicantHistory) -> list[ToRecord]:
        if event_id not in history.event_ids and any(
            history.key_generations.get(c, 0) != g for c, g in generations.items()
        ):
            raise ErasedMeanwhileError("another erasure was recorded meanwhile: erase again")
        return [ToRecord(erased, event_id)]

    await histories.record(stream_id, decide)
    destroyed = await personal.destroy(stream_id, chosen, generations)
    if await personal.keys.get([key_doc_id(stream_id, c, g) for c, g in generations.items()]):
        raise RuntimeError("a data key is still stored after its erasure")  # never silently
    return Erasure(
        stream_id=stream_id,
        classes=chosen,
        event_id=event_id,
        keys_destroyed=len(destroyed),
        clear_text_events=clear,
    )


def contact_expired(history: ApplicantHistory, days: int) -> bool:
    """Every request closed, the last more than `days` days ago."""
    requests = list(history.requests.values())
    if not requests or any(r.status in OPEN or r.closed_at is None for r in requests):
        return False
    last = max(r.closed_at for r in requests if r.closed_at is not None)
    return last < utc_millis() - timedelta(days=days)


async def sweep(histories: ApplicantHistories) -> list[Erasure]:
    """Erase contact data the retention policy no longer keeps; what was erased."""
    personal = histories.personal
    policy = personal.policy
    owners = [k.owner async for k in personal.keys.all() if k.data_class == DataClass.CONTACT.value]
    done = []
    for stream_id in owners:
        records = await histories.read(stream_id)
        history = await histories.history(records)
        if not contact_expired(history, policy.contact_days_after_close):
            continue
        done.append(
            await erase(
                histories,
                stream_id,
                records,
                [DataClass.CONTACT.value],
                f"retention:{policy.id}",
                RETENTION_CALLER,
                f"contact data kept {policy.contact_days_after_close} days after closing",
            )
        )
    return done
