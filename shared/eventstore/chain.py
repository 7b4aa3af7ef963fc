"""Tamper evidence: each event's keyed hash covers its content and its predecessor's hash.

Why keyed (HMAC-SHA256) rather than a bare SHA-256: whoever can write to the database
could otherwise recompute a whole forged chain. The key lives with the services and the
auditors, never in the database; `key_id` names which key sealed an event so keys can rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import StringConstraints

GENESIS_HASH = "0" * 64

# The fields an event's hash covers, in the order they appear in the canonical form
# (the form itself sorts keys, so the order here is for readers).
HASHED_FIELDS = (
    "event_id",
    "stream_id",
    "version",
    "position",
    "event_type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "causation_id",
    "correlation_id",
    "payload",
    "key_id",
    "prev_hash",
)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_bytes(content: Mapping[str, Any]) -> bytes:
    """Deterministic bytes of an event's hashed fields (sorted keys, no spaces, UTF-8)."""
    picked = {name: content.get(name) for name in HASHED_FIELDS}
    return json.dumps(
        picked, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso
    ).encode("utf-8")


class UnknownKeyError(LookupError):
    """An event names a chain key this process does not have."""


# A key id is written into every event and checkpoint, and compared as text.
KeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


@dataclass(frozen=True)
class ChainKeys:
    """The HMAC keys this process knows; `current` seals new events."""

    current: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError("the current key id has no key")
        if any(len(key) < 16 for key in self.keys.values()):
            raise ValueError("chain keys must be at least 16 bytes")

    @classmethod
    def single(cls, key_id: str, key: str | bytes) -> ChainKeys:
        raw = key.encode() if isinstance(key, str) else key
        return cls(current=key_id, keys={key_id: raw})

    def seal(self, content: Mapping[str, Any]) -> str:
        """The keyed hash of `content` (which names its own `key_id`)."""
        key_id = content.get("key_id")
        if not isinstance(key_id, str) or key_id not in self.keys:
            raise UnknownKeyError(f"no chain key with id {key_id!r}")
        return hmac.new(self.keys[key_id], canonical_bytes(content), hashlib.sha256).hexdigest()

    def sealed(self, content: Mapping[str, Any], seal: str) -> bool:
        """Whether `seal` is this content's keyed hash (False for a key we do not have)."""
        try:
            return hmac.compare_digest(self.seal(content), seal)
        except UnknownKeyError:
            return False


BreakKind = Literal[
    "missing",  # versions absent: deleted events
    "inserted",  # an event that was never sealed, or a second one at a version
    "reordered",  # an event sealed at another version
    "edited",  # content differs from what was sealed
    "unlinked",  # sealed, but not after the stream's previous event
    "misplaced",  # intact, but stored under another event's key
    "malformed",  # no integer version, or content that cannot be hashed
    "unknown_key",  # sealed with a key this process does not have
]


@dataclass(frozen=True)
class ChainBreak:
    """The first thing wrong in one stream. `version` is where it was found."""

    stream_id: str
    version: int
    kind: BreakKind  # what the StreamChecker found: see its checks
    detail: str


@dataclass
class VerificationReport:
    streams_checked: int = 0
    events_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    last_stream: str | None = None  # resume a walk after this stream

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> ChainBreak | None:
        return self.breaks[0] if self.breaks else None


class StreamChecker:
    """Walks one stream's stored documents in version order and names its first break.

    Fed one raw document at a time (then `finish()`), so a whole store is checked in
    bounded memory. Kinds: `missing` (a version is absent), `inserted` (an event that was
    never sealed sits in the chain, or two claim one version), `reordered` (an event sealed
    for another version), `edited` (content changed since it was sealed, or an event
    forged without the key), `unlinked` (sealed, but not after its predecessor),
    `misplaced` (intact, but stored under another event's key: readers find events by
    key, so they would be told another story than the chain), `malformed`, `unknown_key`.
    `key_of(stream, version)` gives the key an event must be stored under, where the
    documents carry their `_id`.
    """

    def __init__(
        self,
        keys: ChainKeys,
        stream_id: str,
        key_of: Callable[[str, int], str] | None = None,
    ) -> None:
        self._keys = keys
        self._key_of = key_of
        self.stream_id = stream_id
        self._expected_version = 1
        self._prev_hash = GENESIS_HASH
        self._unsealed: Mapping[str, Any] | None = None  # a seal failure awaiting a verdict
        self.broken: ChainBreak | None = None

    def _break(self, version: int, kind: BreakKind, detail: str) -> None:
        self.broken = ChainBreak(self.stream_id, version, kind, detail)

    def _seals_as(self, doc: Mapping[str, Any], version: int) -> bool:
        try:
            return hmac.compare_digest(
                self._keys.seal({**doc, "version": version}), str(doc.get("hash"))
            )
        except (LookupError, TypeError, ValueError):
            return False

    def feed(self, doc: Mapping[str, Any]) -> None:
        if self.broken is not None:
            return
        if self._unsealed is not None:
            # The event after an unsealed one tells which it was: if it was sealed one
            # version lower, everything shifted up by one around a newcomer.
            bad, self._unsealed = self._unsealed, None
            version = bad["version"]
            if self._seals_as(doc, version):
                self._break(version, "inserted", "an event that was never sealed was put here")
            else:
                self._break(version, "edited", "content differs from what was sealed")
            return
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            self._break(self._expected_version, "malformed", "event has no integer version")
            return
        if version < self._expected_version:
            self._break(version, "inserted", f"a second event claims version {version}")
            return
        if version > self._expected_version:
            missing = f"{self._expected_version}..{version - 1}"
            self._break(self._expected_version, "missing", f"versions {missing} are absent")
            return
        try:
            recomputed = self._keys.seal(doc)
        except UnknownKeyError as exc:
            self._break(version, "unknown_key", str(exc))
            return
        except (TypeError, ValueError) as exc:
            self._break(version, "malformed", f"content cannot be hashed: {type(exc).__name__}")
            return
        if not hmac.compare_digest(recomputed, str(doc.get("hash"))):
            sealed_as = self._sealed_version(doc, version)
            if sealed_as is not None:
                self._break(version, "reordered", f"this event was sealed as version {sealed_as}")
            else:
                self._unsealed = doc
            return
        if doc.get("prev_hash") != self._prev_hash:
            self._break(version, "unlinked", "sealed, but not after the stream's previous event")
            return
        if self._key_of is not None and doc.get("_id") != self._key_of(self.stream_id, version):
            self._break(version, "misplaced", "intact, but stored under another event's key")
            return
        self._prev_hash = doc["hash"]
        self._expected_version = version + 1

    def _sealed_version(self, doc: Mapping[str, Any], version: int) -> int | None:
        """The version this event was sealed for, if another one (looks nearby first)."""
        candidates = sorted(
            range(max(1, version - 64), version + 65), key=lambda v: abs(v - version)
        )
        return next((v for v in candidates if v != version and self._seals_as(doc, v)), None)

    def finish(self) -> None:
        """The stream has no more events: settle a pending verdict."""
        if self.broken is None and self._unsealed is not None:
            self._break(
                self._unsealed["version"],
                "edited",
                "content differs from what was sealed (or it was forged without the key)",
            )
            self._unsealed = None
