"""Sealing and opening events' personal fields; erasing a class of an applicant's data.

A sealed payload carries `personal_data: {"policy": id}` and, in place of each personal
field, `{"enc": …, "class": …, "key": key_ref, "v": 1}` (and `"gen": n` when it was sealed
under the n-th key of its class, made after n erasures; shared/privacy/keys.py). Opening
gives the payload back in its plain shape, erased fields as the policy says (None or
ERASED), so the domain's models never change. Events stored in clear before sealing
existed carry no marker and are read as they are.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.event_schema import NewEvent, RecordedEvent
from shared.event_schema.base import utc_millis
from shared.privacy.crypto import (
    CIPHER_VERSION,
    FieldCipher,
    Keyring,
    UnreadableError,
    new_data_key,
)
from shared.privacy.keys import DataKeyStore, WrappedKey, key_doc_id
from shared.privacy.policy import ERASABLE, DataClass, RetentionPolicy

MARKER = "personal_data"
ERASURE_EVENT = "PersonalDataErased"  # its payload's `key_refs` name destroyed keys
CANARY_OWNER = "canary"
KEY_CACHE_SECONDS = 30.0  # how long a process trusts a data key it unwrapped
# Data class -> key generation: how many erasures of that class the stream's log holds.
Generations = Mapping[str, int]


class MissingDataKeyError(RuntimeError):
    """A kept (legal) field whose data key is gone: the store lost what it must keep."""


@dataclass(frozen=True)
class _Cached:
    key_ref: str
    cipher: FieldCipher
    at: float


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and "enc" in value and "class" in value and "key" in value


def _get(payload: dict[str, Any], path: str) -> tuple[dict[str, Any], str] | None:
    *parents, leaf = path.split(".")
    node: Any = payload
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return (node, leaf) if isinstance(node, dict) and leaf in node else None


def key_generations(records: Iterable[RecordedEvent]) -> dict[str, int]:
    """Each class's key generation after these records: one more per erasure of it."""
    generations: dict[str, int] = {}
    for r in records:
        if r.event_type == ERASURE_EVENT:
            for data_class in r.payload.get("classes", []):
                generations[data_class] = generations.get(data_class, 0) + 1
    return generations


def erased_key_refs(records: Iterable[RecordedEvent]) -> set[str]:
    return {
        ref
        for r in records
        if r.event_type == ERASURE_EVENT
        for ref in r.payload.get("key_refs", [])
    }


class PersonalData:
    def __init__(
        self,
        keys: DataKeyStore,
        keyring: Keyring,
        policy: RetentionPolicy,
        policies: Callable[[str], RetentionPolicy],
        cached_streams: int = 1_000,
    ) -> None:
        self.keys = keys
        self.keyring = keyring
        self.policy = policy  # the one new events are sealed under
        self._policies = policies
        self._cache: OrderedDict[str, _Cached] = OrderedDict()  # by key document id
        self._cache_size = max(1, cached_streams) * 2

    # ---- keys -------------------------------------------------------------------------
    async def check(self) -> None:
        """Fail loudly unless the configured KEKs open the stored keys (a canary key)."""
        key_id = key_doc_id(CANARY_OWNER, DataClass.LEGAL)
        stored = await self.keys.add(self._wrap(CANARY_OWNER, DataClass.LEGAL))
        try:
            self.keyring.unwrap(stored.kek_id, stored.wrapped, key_id)
        except UnreadableError as exc:
            raise RuntimeError(
                f"JEMPUT_DATA_KEK (id {self.keyring.current!r}) cannot open the stored "
                f"data keys: {exc}; set the right key, or name the old one in "
                "JEMPUT_DATA_OLD_KEKS"
            ) from None

    def _wrap(self, owner: str, data_class: str, key_id: str | None = None) -> WrappedKey:
        key_id = key_id or key_doc_id(owner, data_class)
        kek_id, wrapped = self.keyring.wrap(new_data_key(), key_id)
        return WrappedKey(
            id=key_id,
            owner=owner,
            data_class=data_class,
            key_ref=secrets.token_hex(8),
            kek_id=kek_id,
            wrapped=wrapped,
            created_at=utc_millis(),
        )

    def _remember(self, key: WrappedKey) -> _Cached:
        data_key = self.keyring.unwrap(key.kek_id, key.wrapped, key.id)
        entry = _Cached(key.key_ref, FieldCipher(data_key), time.monotonic())
        self._cache[key.id] = entry
        self._cache.move_to_end(key.id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return entry

    async def ciphers(
        self,
        owner: str,
        classes: Iterable[str],
        create: bool,
        fresh: bool = False,
        generations: Generations | None = None,
    ) -> dict[str, _Cached]:
        """The usable keys of `owner`'s classes, by class (made if `create`), each of its
        generation in `generations` (0 if not named)."""
        doc_ids = {c: key_doc_id(owner, c, (generations or {}).get(c, 0)) for c in set(classes)}
        out: dict[str, _Cached] = {}
        wanted: list[str] = []
        now = time.monotonic()
        for data_class, doc_id in doc_ids.items():
            hit = self._cache.get(doc_id)
            if hit is not None and not fresh and now - hit.at < KEY_CACHE_SECONDS:
                out[data_class] = hit
            else:
                wanted.append(data_class)
        if create:  # straight to the insert: a new applicant's keys cost one command
            made = [self.keys.add(self._wrap(owner, c, doc_ids[c])) for c in wanted]
            stored = {k.id: k for k in await asyncio.gather(*made)}
        else:
            stored = await self.keys.get([doc_ids[c] for c in wanted])
        for data_class in wanted:
            key = stored.get(doc_ids[data_class])
            if key is not None:
                out[data_class] = self._remember(key)
            else:
                self._cache.pop(doc_ids[data_class], None)
        return out

    def forget(self, owner: str) -> None:
        for doc_id in [i for i in self._cache if i.startswith(f"{owner}:")]:
            del self._cache[doc_id]

    def _drop(self, key_refs: Iterable[str]) -> None:
        """Forget cached keys that an erasure destroyed (seen in a log or on the topic): a
        process that saw the erasure never opens with them again, however fresh."""
        refs = set(key_refs)
        if not refs:  # nearly always: no erasure in sight, and the cache is large
            return
        for doc_id in [i for i, c in self._cache.items() if c.key_ref in refs]:
            del self._cache[doc_id]

    # ---- events -----------------------------------------------------------------------
    async def sealed(
        self, stream_id: str, event: NewEvent, generations: Generations | None = None
    ) -> NewEvent:
        """`event` with its personal fields sealed under the stream's data keys of the
        generations its log is at (after an erasure, a new key: never the destroyed one)."""
        fields = self.policy.fields_of(event.event_type)
        payload = copy.deepcopy(event.payload)
        present = {p: c for p, c in fields.items() if _get(payload, p) is not None}
        if not present:
            return event
        gens = generations or {}
        ciphers = await self.ciphers(stream_id, present.values(), True, generations=gens)
        for path, data_class in present.items():
            node, leaf = _get(payload, path) or ({}, "")
            key = ciphers[data_class]
            node[leaf] = {
                "enc": key.cipher.seal(stream_id, path, node[leaf]),
                "class": data_class.value,
                "key": key.key_ref,
                "v": CIPHER_VERSION,
            } | ({"gen": gens[data_class]} if gens.get(data_class) else {})
        payload[MARKER] = {"policy": self.policy.id}
        return event.model_copy(update={"payload": payload})

    async def opened(self, records: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The records with their personal fields in the clear, or erased."""
        erased = erased_key_refs(records)
        self._drop(erased)
        return [await self._open(r, erased) for r in records]

    async def open_one(self, record: RecordedEvent) -> RecordedEvent:
        return await self._open(record, set())

    async def _open(self, record: RecordedEvent, erased: set[str]) -> RecordedEvent:
        if record.event_type == ERASURE_EVENT:  # every process sees it: drop those keys now
            self._drop(record.payload.get("key_refs", []))
        if MARKER not in record.payload:
            return record  # stored in clear (schema v1), or nothing personal
        payload = copy.deepcopy(record.payload)
        policy = self._policies(payload.pop(MARKER)["policy"])
        boxes = {
            p: found
            for p in policy.fields_of(record.event_type)
            if (found := _get(payload, p)) is not None and is_sealed(found[0][found[1]])
        }
        gens = {node[leaf]["class"]: node[leaf].get("gen", 0) for node, leaf in boxes.values()}
        ciphers = await self.ciphers(record.stream_id, gens, create=False, generations=gens)
        for path, (node, leaf) in boxes.items():
            box = node[leaf]
            key = ciphers.get(box["class"])
            if box["key"] not in erased and (key is None or key.key_ref != box["key"]):
                # A key made since this process cached one, or an erasure: ask the store.
                again = await self.ciphers(
                    record.stream_id,
                    [box["class"]],
                    False,
                    fresh=True,
                    generations={box["class"]: box.get("gen", 0)},
                )
                key = again.get(box["class"])
            if box["key"] in erased or key is None or key.key_ref != box["key"]:
                if box["class"] not in ERASABLE:
                    raise MissingDataKeyError(f"no data key for a kept field of {record.event_id}")
                node[leaf] = policy.erased_value(path)
                continue
            node[leaf] = key.cipher.open(record.stream_id, path, box["enc"])
        return record.model_copy(update={"payload": payload})

    # ---- erasure and rotation ---------------------------------------------------------
    async def key_refs(
        self, stream_id: str, classes: Iterable[str], generations: Generations | None = None
    ) -> dict[str, str]:
        """The key of each of the stream's classes (of its generation) that has one."""
        gens = generations or {}
        ids = {key_doc_id(stream_id, c, gens.get(c, 0)): c for c in classes}
        return {ids[i]: k.key_ref for i, k in (await self.keys.get(list(ids))).items()}

    async def destroy(
        self, stream_id: str, classes: Iterable[str], generations: Generations | None = None
    ) -> list[str]:
        """Destroy the keys (of these generations) of erasable classes; the refs destroyed."""
        refused = set(classes) - {c.value for c in ERASABLE}
        if refused:
            raise ValueError(f"not erasable: {sorted(refused)}")
        gens = generations or {}
        destroyed = [
            await self.keys.destroy(key_doc_id(stream_id, c, gens.get(c, 0))) for c in classes
        ]
        self.forget(stream_id)
        return [k.key_ref for k in destroyed if k is not None]

    async def rotate(self) -> int:
        """Re-wrap every data key not wrapped by the current KEK; how many were."""
        count = 0
        async for key in self.keys.all():
            if key.kek_id == self.keyring.current:
                continue
            data_key = self.keyring.unwrap(key.kek_id, key.wrapped, key.id)
            kek_id, wrapped = self.keyring.wrap(data_key, key.id)
            rewrapped = key.model_copy(update={"kek_id": kek_id, "wrapped": wrapped})
            count += await self.keys.rewrap(rewrapped, key.kek_id)
        return count
