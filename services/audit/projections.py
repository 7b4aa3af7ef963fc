"""Read models rebuilt from the log alone: request status, the manual review queue,
tracking codes, and counts per outreach point and per kecamatan."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.domain.applicant import ApplicantHistory, Status
from shared.domain.events import registry
from shared.eventstore.store import EventStore
from shared.privacy.personal_data import PersonalData


@dataclass
class Rebuilt:
    events: int = 0
    seconds: float = 0.0
    request_status: dict[str, dict[str, Any]] = field(default_factory=dict)  # by tracking code
    review_queue: set[str] = field(default_factory=set)  # tracking codes waiting for review
    tracking_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_outreach_point: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_kecamatan: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def rebuild(
    store: EventStore, personal: PersonalData, progress: Callable[[int], None] | None = None
) -> Rebuilt:
    """Replay every event in log order into fresh read models."""
    started = time.perf_counter()
    histories: dict[str, ApplicantHistory] = defaultdict(ApplicantHistory)
    out = Rebuilt()
    async for record in store.read_all():
        histories[record.stream_id].apply(
            registry.load(await personal.open_one(record)), record.event_id, record.occurred_at
        )
        out.events += 1
        if progress is not None and out.events % 1000 == 0:
            progress(out.events)
    for stream_id, history in histories.items():
        for request in history.requests.values():
            code, point = request.tracking_code, request.form.outreach_point
            out.tracking_codes[code] = (stream_id, request.request_id)
            out.request_status[code] = {
                "stream_id": stream_id,
                "request_id": request.request_id,
                "kind": request.kind.value,
                "status": request.status.value,
            }
            if request.status is Status.MANUAL_REVIEW:
                out.review_queue.add(code)
            out.by_outreach_point[f"{point.kind}:{point.name}"][request.status.value] += 1
            out.by_kecamatan[point.kecamatan_code][request.status.value] += 1
    out.seconds = time.perf_counter() - started
    if progress is not None:
        progress(out.events)
    return out
