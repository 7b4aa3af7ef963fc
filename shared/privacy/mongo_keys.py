"""Data keys in their own collection, apart from the log (a dump of the log alone holds
no key; see docs/adr/0007-personal-data.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shared.privacy.keys import DataKeyStore, WrappedKey


def _key(doc: dict[str, Any]) -> WrappedKey:
    return WrappedKey(id=doc.pop("_id"), **doc)


class MongoDataKeys(DataKeyStore):
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._keys = collection

    async def get(self, ids: Sequence[str]) -> dict[str, WrappedKey]:
        if not ids:
            return {}
        return {d["_id"]: _key(d) async for d in self._keys.find({"_id": {"$in": list(ids)}})}

    async def add(self, key: WrappedKey) -> WrappedKey:
        try:
            await self._keys.insert_one({"_id": key.id, **key.model_dump(exclude={"id"})})
        except DuplicateKeyError:
            stored = await self._keys.find_one({"_id": key.id})
            if stored is None:  # destroyed in between: an erasure won; try once more
                return await self.add(key)
            return _key(stored)
        return key

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
