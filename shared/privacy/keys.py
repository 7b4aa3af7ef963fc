"""Where data keys live, wrapped: a port with an in-memory and a MongoDB implementation.

A data key belongs to one applicant's stream and one data class (`{stream}:{class}`);
destroying it erases that class of the applicant's data wherever its ciphertext lies.
`key_ref` is a random name of one key's life. After an erasure a class's key is made
again as the next *generation* (`{stream}:{class}:{n}`, the n-th erasure of that class in
the stream's log): a writer that knows of the erasure can never be handed the destroyed
key, even by a process that still caches it or before the key document is deleted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class WrappedKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # f"{owner}:{data class}", then f"{owner}:{data class}:{generation}"
    owner: str  # a stream id, or a dead-letter month
    data_class: str
    key_ref: str
    kek_id: str
    wrapped: str  # base64(nonce | AES-GCM(KEK, data key, aad=id))
    created_at: datetime


def key_doc_id(owner: str, data_class: str, generation: int = 0) -> str:
    """The id of `owner`'s key of a class; generation 0 keeps the id keys always had."""
    return f"{owner}:{data_class}" if generation == 0 else f"{owner}:{data_class}:{generation}"


class DataKeyStore(ABC):
    @abstractmethod
    async def get(self, ids: Sequence[str]) -> dict[str, WrappedKey]:
        """The keys that exist among `ids`, by id."""

    @abstractmethod
    async def add(self, key: WrappedKey) -> WrappedKey:
        """Store `key` unless a key with its id exists; either way, the key now stored."""

    @abstractmethod
    async def destroy(self, key_id: str) -> WrappedKey | None:
        """Delete the key; the key that was deleted, or None if there was none."""

    @abstractmethod
    def all(self) -> AsyncIterator[WrappedKey]:
        """Every stored key (for rotation)."""

    @abstractmethod
    async def rewrap(self, key: WrappedKey, was_kek_id: str) -> bool:
        """Replace the wrapping of `key.id` if it is still wrapped by `was_kek_id`."""


class InMemoryDataKeys(DataKeyStore):
    def __init__(self) -> None:
        self.keys: dict[str, WrappedKey] = {}

    async def get(self, ids: Sequence[str]) -> dict[str, WrappedKey]:
        return {i: self.keys[i] for i in ids if i in self.keys}

    async def add(self, key: WrappedKey) -> WrappedKey:
        return self.keys.setdefault(key.id, key)

    async def destroy(self, key_id: str) -> WrappedKey | None:
        return self.keys.pop(key_id, None)

    async def all(self) -> AsyncIterator[WrappedKey]:
        for key in list(self.keys.values()):
            yield key

    async def rewrap(self, key: WrappedKey, was_kek_id: str) -> bool:
        stored = self.keys.get(key.id)
        if stored is None or stored.kek_id != was_kek_id or stored.key_ref != key.key_ref:
            return False
        self.keys[key.id] = key
        return True
