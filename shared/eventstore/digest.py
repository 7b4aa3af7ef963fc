"""A compact digest of the whole store: a Merkle root over every stream's head as of a
moment, sealed with the chain key. An auditor records it today; recomputed later for
the same moment, it must come out the same, or something before that moment changed
(an event edited, removed, inserted, or a stream's newest events deleted)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from shared.eventstore.chain import ChainKeys, KeyId
from shared.eventstore.recorder import Document, event_key
from shared.eventstore.walk import walk_stored_streams
from shared.formats.instant import Instant

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Checkpoint(BaseModel):
    # Checked as strictly as it is sealed: a checkpoint comes back from outside.
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: Instant
    streams: StrictInt = Field(ge=0)
    events: StrictInt = Field(ge=0)
    root: Sha256Hex
    key_id: KeyId
    seal: Sha256Hex


def leaf(stream_id: str, version: int, head_hash: str) -> bytes:
    return hashlib.sha256(f"{stream_id}\x1f{version}\x1f{head_hash}".encode()).digest()


def merkle_root(leaves: Iterable[bytes]) -> str:
    level = list(leaves) or [hashlib.sha256(b"").digest()]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


@dataclass(frozen=True)
class Head:
    stream_id: str
    version: int
    hash: str  # a broken chain's says so: "broken:<version>:<kind>"
    events: int


async def _recorded_by(docs: AsyncIterator[Document], as_of: datetime) -> AsyncIterator[Document]:
    async for doc in docs:
        if doc["recorded_at"] <= as_of:
            yield doc


async def stream_heads(
    docs: AsyncIterator[Document], as_of: datetime, keys: ChainKeys
) -> AsyncIterator[Head]:
    """Each stream's verified head and event count, counting events recorded up to `as_of`.

    `docs` come by stream then version, as `EventStore.raw_documents` gives them. A head
    counts only if its whole chain verifies; a broken one says so.
    """
    async for walked in walk_stored_streams(_recorded_by(docs, as_of), keys, key_of=event_key):
        assert walked.last is not None  # a walked stream has at least one document
        head_hash = str(walked.last["hash"])
        if walked.broken is not None:
            head_hash = f"broken:{walked.broken.version}:{walked.broken.kind}"
        yield Head(walked.stream_id, int(walked.last["version"]), head_hash, walked.events)


async def checkpoint(docs: AsyncIterator[Document], as_of: datetime, keys: ChainKeys) -> Checkpoint:
    leaves, streams, events = [], 0, 0
    async for head in stream_heads(docs, as_of, keys):
        leaves.append(leaf(head.stream_id, head.version, head.hash))
        streams, events = streams + 1, events + head.events
    root = merkle_root(leaves)
    body = f"{as_of.isoformat()}|{streams}|{events}|{root}"
    seal = hmac.new(keys.keys[keys.current], body.encode(), hashlib.sha256).hexdigest()
    return Checkpoint(
        as_of=as_of, streams=streams, events=events, root=root, key_id=keys.current, seal=seal
    )


def seal_valid(point: Checkpoint, keys: ChainKeys) -> bool:
    key = keys.keys.get(point.key_id)
    if key is None:
        return False
    body = f"{point.as_of.isoformat()}|{point.streams}|{point.events}|{point.root}"
    return hmac.compare_digest(hmac.new(key, body.encode(), hashlib.sha256).hexdigest(), point.seal)
