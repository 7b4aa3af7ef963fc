"""Data keys in their own collection, apart from the log (a dump of the log alone holds
no key; see docs/adr/0009-personal-data.md).

Reads and creations of keys by concurrent requests share commands (a `Batcher`, as the
event store's appends do): each command to FerretDB costs about a millisecond of server
CPU whatever it carries (docs/adr/0003)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shared.eventstore.batching import Batcher
from shared.privacy.keys import DataKeyStore, WrappedKey

MAX_BATCH = 500


def _key(doc: dict[str, Any]) -> WrappedKey:
    return WrappedKey(id=doc.pop("_id"), **doc)


def _doc(key: WrappedKey) -> dict[str, Any]:
    return {"_id": key.id, **key.model_dump(exclude={"id"})}


class MongoDataKeys(DataKeyStore):
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._keys = collection
        self._reads: Batcher[tuple[str, ...], dict[str, WrappedKey]] = Batcher(
            self._read_together, MAX_BATCH, len
        )
        self._adds: Batcher[WrappedKey, WrappedKey] = Batcher(self._add_together, MAX_BATCH)

    async def _find(self, ids: Sequence[str]) -> dict[str, WrappedKey]:
        found = self._keys.find({"_id": {"$in": sorted(set(ids))}})
        return {d["_id"]: _key(d) async for d in found}

    async def _read_together(self, asks: list[tuple[str, ...]]) -> list[dict[str, WrappedKey]]:
        found = await self._find([i for ask in asks for i in ask])
        return [{i: found[i] for i in ask if i in found} for ask in asks]

    async def _add_together(self, keys: list[WrappedKey]) -> list[WrappedKey]:
        unique = list({k.id: k for k in keys}.values())  # two asks for one id: first wins
        try:
            await self._keys.insert_many([_doc(k) for k in unique], ordered=False)
            stored = {k.id: k for k in unique}
        except BulkWriteError:  # some existed: whoever stored first, their key stands
            stored = await self._find([k.id for k in unique])
        missing = [k for k in keys if k.id not in stored]  # destroyed in between: again
        for key in missing:
            stored[key.id] = await self.add(key)
        return [stored[k.id] for k in keys]

    async def get(self, ids: Sequence[str]) -> dict[str, WrappedKey]:
        if not ids:
            return {}
        return await self._reads.submit(tuple(ids))

    async def add(self, key: WrappedKey) -> WrappedKey:
        return await self._adds.submit(key)

    async def destroy(self, key_id: str) -> WrappedKey | None:
        doc = await self._keys.find_one_and_delete({"_id": key_id})
        return None if doc is None else _key(doc)

    async def all(self) -> AsyncIterator[WrappedKey]:
        async for doc in self._keys.find({}).sort("_id", 1):
            yield _key(doc)

    async def rewrap(self, key: WrappedKey, was_kek_id: str) -> bool:
        done = await self._keys.update_one(
            {"_id": key.id, "kek_id": was_kek_id, "key_ref": key.key_ref},
            {"$set": {"kek_id": key.kek_id, "wrapped": key.wrapped}},
        )
        return done.modified_count == 1
