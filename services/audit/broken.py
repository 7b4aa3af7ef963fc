"""A stream whose stored events are not the chain that was sealed: what an audit read
answers (what verify found, never a bare 500), and the stored documents themselves, for
an auditor to see what was done.

Every audit read checks the events it read against their seals in memory (one HMAC an
event): an edited, reordered or unlinked event is named, not shown as if it were true.
A document that cannot even be read as the event its key names (swapped, malformed) is
located by walking the stream's stored documents, as `verify` does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Sequence
from typing import Any

from bson import json_util

from shared.event_schema import RecordedEvent
from shared.eventstore.chain import ChainBreak, ChainKeys
from shared.eventstore.walk import walk_streams

NO_EVENTS_DETAIL = (
    "this stream has no events: none were stored, or every one was deleted; a digest "
    "kept from before shows such a deletion (POST /v1/audit/digest/check, "
    "jemput-audit check-digest)"
)


class BrokenStreamError(Exception):
    """The applicant's stored events do not form their sealed chain (answered as 409)."""

    def __init__(self, found: ChainBreak) -> None:
        super().__init__(
            f"the applicant's event log is broken at version {found.version} ({found.kind}): "
            f"{found.detail}; its stored documents: "
            f"/v1/audit/streams/{found.stream_id}/documents (jemput-audit documents)"
        )
        self.found = found


def first_break(records: Sequence[RecordedEvent], keys: ChainKeys) -> ChainBreak | None:
    """The first break among events read from the store (checked in memory)."""
    docs = [r.model_dump() for r in records]
    return next((w.broken for w in walk_streams(docs, keys) if w.broken is not None), None)


async def stored_documents(docs: AsyncIterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored documents as they are, in JSON (MongoDB's relaxed extended JSON for what
    JSON lacks): sealed personal fields stay sealed, as they are stored."""
    return [
        json.loads(json_util.dumps(d, json_options=json_util.RELAXED_JSON_OPTIONS))
        async for d in docs
    ]
