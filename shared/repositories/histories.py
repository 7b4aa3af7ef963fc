"""The history repository (ApplicantHistories): an applicant's stream id from their NIK,
their history loaded from the log, and what a command decided recorded in it.

The bridge between the domain (plain functions over ApplicantHistory) and the event
store; every service uses it, so the retry-on-conflict rule lives in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.domain.applicant import ApplicantHistory
from shared.domain.events import registry
from shared.event_schema import DomainEvent, RecordedEvent
from shared.eventstore.errors import IdempotencyConflictError
from shared.eventstore.store import ConcurrencyError, EventStore
from shared.observability import tracing
from shared.privacy.identity import pseudonym
from shared.privacy.personal_data import PersonalData

EVENT_IDS = uuid.UUID("6f1d4a52-3c9e-4b8e-9a57-0d1c2b3a4f60")  # namespace for derived ids


def derived_id(*parts: str) -> str:
    """A stable event id from what caused it: the same cause gives the same id again."""
    return str(uuid.uuid5(EVENT_IDS, "/".join(parts)))


def history_of(records: Sequence[RecordedEvent]) -> ApplicantHistory:
    """An applicant's history from their events, opened (PersonalData.opened), old
    versions upcast."""
    return ApplicantHistory.rebuild((registry.load(r), r.event_id, r.occurred_at) for r in records)


@dataclass(frozen=True)
class ToRecord:
    event: DomainEvent
    event_id: str
    occurred_at: datetime | None = None  # when the device saw it happen, if not now


Decide = Callable[[ApplicantHistory], Sequence[ToRecord]]


class ApplicantHistories:
    ATTEMPTS = 8

    def __init__(self, store: EventStore, pseudonym_key: bytes, personal: PersonalData) -> None:
        self._store = store
        self._key = pseudonym_key
        self.personal = personal  # seals what is recorded, opens what is read

    def stream_of(self, nik: str) -> str:
        return pseudonym(self._key, "applicant", nik)

    def remember(self, record: RecordedEvent) -> bool:
        """An event seen on Kafka: kept in memory if it extends what this process holds."""
        return self._store.remember(record)

    async def confirm(self, record: RecordedEvent) -> bool:
        """Whether this event (seen on Kafka) is in the log: consumers act on nothing else."""
        return await self._store.holds(record)

    async def read(self, stream_id: str) -> list[RecordedEvent]:
        """The applicant's stored records, sealed."""
        return await self._store.read_stream(stream_id)

    async def load(self, stream_id: str) -> ApplicantHistory:
        return await self.history(await self._store.read_stream(stream_id))

    async def history(self, records: Sequence[RecordedEvent]) -> ApplicantHistory:
        """The history of one applicant's stored (sealed) records."""
        return history_of(await self.personal.opened(records))

    async def record(
        self,
        stream_id: str,
        decide: Decide,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> tuple[ApplicantHistory, list[RecordedEvent]]:
        """Decide on the history, append what was decided; on a lost race, decide again.

        The first try decides on what this process holds of the stream, without a read:
        the append at the expected version checks that nothing came in between. Deciding
        to do nothing is checked by a fresh read, as no append would catch a stale view.
        """
        cached = self._store.streams.get(stream_id)
        conflicted = False
        for attempt in range(self.ATTEMPTS):
            fresh = attempt > 0 or not cached
            history = await self.history(cached) if not fresh else await self.load(stream_id)
            todo = [t for t in decide(history) if t.event_id not in history.event_ids]
            if not todo:
                if fresh:
                    return history, []
                cached = []
                continue
            events = [
                await self.personal.sealed(
                    stream_id,
                    registry.to_new_event(
                        t.event,
                        event_id=t.event_id,
                        occurred_at=t.occurred_at,
                        causation_id=causation_id,
                        correlation_id=correlation_id,
                    ),
                    history.key_generations,
                )
                for t in todo
            ]
            try:
                with tracing.step("append", events=len(events)):
                    written = await self._store.write(stream_id, events, history.version)
            except ConcurrencyError:
                continue
            except IdempotencyConflictError:
                # An event with this id is stored with other content. Another writer may
                # have decided the same cause a moment earlier (its own timestamp): on the
                # fresh history there is then nothing left to do. Decided again, the same
                # clash is a real one (an id reused for something else).
                if conflicted:
                    raise
                conflicted, cached = True, []
                continue
            if not written.new:  # stored before: our view was stale, decide again on fresh
                cached = []
                continue
            recorded = written.records
            for record, item in zip(recorded, todo, strict=True):
                history.apply(item.event, record.event_id, record.occurred_at)
            return history, recorded
        raise ConcurrencyError(stream_id, -1, -1)
