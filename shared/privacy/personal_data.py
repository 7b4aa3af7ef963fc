"""Sealing and opening events' personal fields; erasing a class of an applicant's data.

A sealed payload carries `personal_data: {"policy": id}` and, in place of each personal
field, `{"enc": …, "class": …, "key": key_ref, "v": 1}`. Opening gives the payload back
in its plain shape, erased fields as the policy says (None or ERASED), so the domain's
models never change. Events stored in clear before sealing existed carry no marker and
are read as they are.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
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

    def _wrap(self, owner: str, data_class: str, data_key: bytes | None = None) -> WrappedKey:
        key_id = key_doc_id(owner, data_class)
        kek_id, wrapped = self.keyring.wrap(data_key or new_data_key(), key_id)
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
        self, owner: str, classes: Iterable[str], create: bool, fresh: bool = False
    ) -> dict[str, _Cached]:
        """The usable keys of `owner`'s classes, by class (made if `create`)."""
        out: dict[str, _Cached] = {}
        wanted: list[str] = []
        now = time.monotonic()
        for data_class in set(classes):
            hit = self._cache.get(key_doc_id(owner, data_class))
            if hit is not None and not fresh and now - hit.at < KEY_CACHE_SECONDS:
                out[data_class] = hit
            else:
                wanted.append(data_class)
        if create:  # straight to the insert: a new applicant's keys cost one command
            made = [self.keys.add(self._wrap(owner, c)) for c in wanted]
            stored = {k.id: k for k in await asyncio.gather(*made)}
        else:
            stored = await self.keys.get([key_doc_id(owner, c) for c in wanted])
        for data_class in wanted:
            key = stored.get(key_doc_id(owner, data_class))
            if key is not None:
                out[data_class] = self._remember(key)
            else:
                self._cache.pop(key_doc_id(owner, data_class), None)
        return out

    def forget(self, owner: str) -> None:
        for data_class in DataClass:
            self._cache.pop(key_doc_id(owner, data_class), None)

    # ---- events -----------------------------------------------------------------------
    async def sealed(self, stream_id: str, event: NewEvent) -> NewEvent:
        """`event` with its personal fields sealed under the stream's data keys."""
        fields = self.policy.fields_of(event.event_type)
        payload = copy.deepcopy(event.payload)
        present = {p: c for p, c in fields.items() if _get(payload, p) is not None}
        if not present:
            return event
        ciphers = await self.ciphers(stream_id, present.values(), create=True)
        for path, data_class in present.items():
            node, leaf = _get(payload, path) or ({}, "")
            key = ciphers[data_class]
            node[leaf] = {
                "enc": key.cipher.seal(stream_id, path, node[leaf]),
                "class": data_class.value,
                "key": key.key_ref,
                "v": CIPHER_VERSION,
            }
        payload[MARKER] = {"policy": self.policy.id}
        return event.model_copy(update={"payload": payload})

    async def opened(self, records: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The records with their personal fields in the clear, or erased."""
        erased = erased_key_refs(records)
        return [await self._open(r, erased) for r in records]

    async def open_one(self, record: RecordedEvent) -> RecordedEvent:
        return await self._open(record, set())

    async def _open(self, record: RecordedEvent, erased: set[str]) -> RecordedEvent:
        if MARKER not in record.payload:
            return record  # stored in clear (schema v1), or nothing personal
        payload = copy.deepcopy(record.payload)
        policy = self._policies(payload.pop(MARKER)["policy"])
        boxes = {
            p: found
            for p in policy.fields_of(record.event_type)
            if (found := _get(payload, p)) is not None and is_sealed(found[0][found[1]])
        }
        classes = {node[leaf]["class"] for node, leaf in boxes.values()}
        ciphers = await self.ciphers(record.stream_id, classes, create=False)
        for path, (node, leaf) in boxes.items():
            box = node[leaf]
            key = ciphers.get(box["class"])
            if box["key"] not in erased and (key is None or key.key_ref != box["key"]):
                # A key made since this process cached one, or an erasure: ask the store.
                again = await self.ciphers(record.stream_id, [box["class"]], False, fresh=True)
                key = again.get(box["class"])
            if box["key"] in erased or key is None or key.key_ref != box["key"]:
                if box["class"] not in ERASABLE:
                    raise MissingDataKeyError(f"no data key for a kept field of {record.event_id}")
                node[leaf] = policy.erased_value(path)
                continue
            node[leaf] = key.cipher.open(record.stream_id, path, box["enc"])
        return record.model_copy(update={"payload": payload})

    # ---- erasure and rotation ---------------------------------------------------------
    async def key_refs(self, stream_id: str, classes: Iterable[str]) -> dict[str, str]:
        """The current key of each of the stream's classes that has one, by class."""
        ids = {key_doc_id(stream_id, c): c for c in classes}
        return {ids[i]: k.key_ref for i, k in (await self.keys.get(list(ids))).items()}

    async def destroy(self, stream_id: str, classes: Iterable[str]) -> list[str]:
        """Destroy the keys of erasable classes; the key refs destroyed."""
        refused = set(classes) - {c.value for c in ERASABLE}
        if refused:
            raise ValueError(f"not erasable: {sorted(refused)}")
        destroyed = [await self.keys.destroy(key_doc_id(stream_id, c)) for c in classes]
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
