"""The keyed hash chain: canonical form, sealing, and the stream checker's verdicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.eventstore.chain import (
    GENESIS_HASH,
    ChainKeys,
    StreamChecker,
    UnknownKeyError,
    canonical_bytes,
)

KEYS = ChainKeys.single("k1", "0123456789abcdef")


def doc(version: int, prev_hash: str, **extra: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "_id": f"s:{version}",
        "event_id": f"e{version}",
        "stream_id": "s",
        "version": version,
        "position": version,
        "event_type": "T",
        "schema_version": 1,
        "payload": {"v": version},
        "occurred_at": datetime(2026, 1, 1, tzinfo=UTC),
        "recorded_at": datetime(2026, 1, 1, tzinfo=UTC),
        "causation_id": None,
        "correlation_id": None,
        "key_id": "k1",
        "prev_hash": prev_hash,
        **extra,
    }
    content["hash"] = KEYS.seal(content)
    return content


def chain(n: int) -> list[dict[str, Any]]:
    docs, prev = [], GENESIS_HASH
    for v in range(1, n + 1):
        docs.append(doc(v, prev))
        prev = docs[-1]["hash"]
    return docs


def check(docs: list[dict[str, Any]]) -> StreamChecker:
    checker = StreamChecker(KEYS, "s")
    for d in docs:
        checker.feed(d)
    checker.finish()
    return checker


def test_canonical_form_ignores_key_order_and_unhashed_fields() -> None:
    a = {"payload": {"x": 1, "y": "é"}, "version": 1, "unpublished": True}
    b = {"version": 1, "payload": {"y": "é", "x": 1}}
    assert canonical_bytes(a) == canonical_bytes(b)
    assert "é".encode() in canonical_bytes(a)


def test_canonical_form_refuses_values_without_one() -> None:
    with pytest.raises(TypeError):
        canonical_bytes({"payload": {"x": object()}})


def test_seal_depends_on_the_key() -> None:
    other = ChainKeys.single("k1", "fedcba9876543210")
    content = {"key_id": "k1", "payload": {}}
    assert KEYS.seal(content) != other.seal(content)
    with pytest.raises(UnknownKeyError):
        KEYS.seal({"key_id": "k9"})


def test_keys_must_be_long_enough_and_current_must_exist() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        ChainKeys.single("k", "short")
    with pytest.raises(ValueError, match="current"):
        ChainKeys(current="x", keys={"y": b"0123456789abcdef"})


def test_intact_chain_has_no_break() -> None:
    assert check(chain(5)).broken is None


@pytest.mark.parametrize(
    ("tamper", "version", "kind"),
    [
        (lambda d: d.pop(1), 2, "missing"),
        (lambda d: d.insert(1, dict(d[1])), 2, "inserted"),
        (lambda d: d[2]["payload"].update(v=99), 3, "edited"),
        (lambda d: d[3]["payload"].update(v=99), 4, "edited"),  # the last one
        (
            lambda d: (
                d[1].update(version=3),
                d[2].update(version=2),
                d.sort(key=lambda x: x["version"]),
            ),
            2,
            "reordered",
        ),
        (lambda d: d[2].update(key_id="k9"), 3, "unknown_key"),
        (lambda d: d[2].update(version="3"), 3, "malformed"),
        (lambda d: d[0].update(payload={"x": object()}), 1, "malformed"),
    ],
)
def test_each_kind_of_tampering_is_named(tamper: Any, version: int, kind: str) -> None:
    docs = chain(4)
    tamper(docs)
    broken = check(docs).broken
    assert broken is not None
    assert (broken.version, broken.kind) == (version, kind)


def test_an_unsealed_event_pushed_into_the_middle_is_inserted() -> None:
    docs = chain(3)
    forged = {**doc(2, docs[0]["hash"]), "hash": "0" * 64}
    shifted = [{**d, "version": d["version"] + 1} for d in docs[1:]]
    broken = check([docs[0], forged, *shifted]).broken
    assert broken is not None
    assert (broken.version, broken.kind) == (2, "inserted")


def test_a_resealed_event_that_does_not_follow_its_predecessor_is_unlinked() -> None:
    docs = chain(3)
    docs[2] = doc(3, GENESIS_HASH)  # sealed with the real key (an insider), but relinked
    broken = check(docs).broken
    assert broken is not None
    assert (broken.version, broken.kind) == (3, "unlinked")
