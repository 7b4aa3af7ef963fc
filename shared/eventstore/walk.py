"""The one chain-verification walk: documents grouped by stream, each stream fed through a
StreamChecker and finished. verify() (store.py), the digest (digest.py) and the check of an
exported history (services/audit/export.py) all walk with it.

Documents must come ordered by stream id, then version, as `raw_documents` gives them; one
stream is held at a time, so a whole store is checked in bounded memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shared.eventstore.chain import ChainBreak, ChainKeys, StreamChecker

Doc = Mapping[str, Any]


@dataclass
class WalkedStream:
    """One stream, checked to its end: its first break (if any), its count, its newest."""

    checker: StreamChecker
    events: int = 0
    last: Doc | None = None  # the newest document fed

    @property
    def stream_id(self) -> str:
        return self.checker.stream_id

    @property
    def broken(self) -> ChainBreak | None:
        return self.checker.broken


class StreamWalk:
    """Feeds documents to one checker per stream; says which stream each document ended."""

    def __init__(self, keys: ChainKeys, key_of: Callable[[str, int], str] | None) -> None:
        self._keys = keys
        self._key_of = key_of
        self._current: WalkedStream | None = None

    def feed(self, doc: Doc) -> WalkedStream | None:
        """Check `doc`; the previous stream, finished, when `doc` starts another one."""
        stream_id = str(doc.get("stream_id"))
        done = None
        if self._current is None or self._current.stream_id != stream_id:
            done = self.end()
            self._current = WalkedStream(StreamChecker(self._keys, stream_id, self._key_of))
        self._current.checker.feed(doc)
        self._current.events += 1
        self._current.last = doc
        return done

    def end(self) -> WalkedStream | None:
        """The stream under way, finished (None if there is none)."""
        done, self._current = self._current, None
        if done is not None:
            done.checker.finish()
        return done


def walk_streams(
    docs: Iterable[Doc], keys: ChainKeys, key_of: Callable[[str, int], str] | None = None
) -> Iterator[WalkedStream]:
    """Each stream of `docs`, checked, in order. `key_of(stream, version)` is the key each
    document must be stored under, where documents carry their `_id`."""
    walk = StreamWalk(keys, key_of)
    for doc in docs:
        if (done := walk.feed(doc)) is not None:
            yield done
    if (done := walk.end()) is not None:
        yield done


async def walk_stored_streams(
    docs: AsyncIterable[Doc], keys: ChainKeys, key_of: Callable[[str, int], str] | None = None
) -> AsyncIterator[WalkedStream]:
    """`walk_streams` over documents read as they come (from a recorder)."""
    walk = StreamWalk(keys, key_of)
    async for doc in docs:
        if (done := walk.feed(doc)) is not None:
            yield done
    if (done := walk.end()) is not None:
        yield done
