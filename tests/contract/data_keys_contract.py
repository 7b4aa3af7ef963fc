"""One behaviour, every data key store: subclasses supply a `data_keys` fixture (empty)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.privacy.keys import DataKeyStore, WrappedKey, key_doc_id

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def wrapped(
    owner: str, ref: str = "r1", kek: str = "k1", data_class: str = "contact"
) -> WrappedKey:
    return WrappedKey(
        id=key_doc_id(owner, data_class),
        owner=owner,
        data_class=data_class,
        key_ref=ref,
        kek_id=kek,
        wrapped=f"wrapped-{ref}",
        created_at=T0,
    )


class DataKeysContract:
    async def test_the_first_key_of_an_id_wins(self, data_keys: DataKeyStore) -> None:
        assert await data_keys.add(wrapped("s1", "r1")) == wrapped("s1", "r1")
        assert await data_keys.add(wrapped("s1", "r2")) == wrapped("s1", "r1")
        found = await data_keys.get([key_doc_id("s1", "contact"), key_doc_id("s2", "contact")])
        assert found == {key_doc_id("s1", "contact"): wrapped("s1", "r1")}
        assert await data_keys.get([]) == {}

    async def test_a_destroyed_key_is_gone(self, data_keys: DataKeyStore) -> None:
        await data_keys.add(wrapped("s1"))
        await data_keys.add(wrapped("s1", data_class="legal"))
        assert await data_keys.destroy(key_doc_id("s1", "contact")) == wrapped("s1")
        assert await data_keys.destroy(key_doc_id("s1", "contact")) is None
        assert await data_keys.get([key_doc_id("s1", "contact")]) == {}
        assert [k.id async for k in data_keys.all()] == [key_doc_id("s1", "legal")]
        # made again after an erasure: a new key, under a new ref
        assert (await data_keys.add(wrapped("s1", "r9"))).key_ref == "r9"

    async def test_rewrap_only_replaces_the_wrapping_it_expects(
        self, data_keys: DataKeyStore
    ) -> None:
        await data_keys.add(wrapped("s1", kek="old"))
        new = wrapped("s1", kek="new").model_copy(update={"wrapped": "by-new"})
        assert await data_keys.rewrap(new, "other") is False
        assert await data_keys.rewrap(new, "old") is True
        assert await data_keys.rewrap(new, "old") is False  # done already
        stored = (await data_keys.get([new.id]))[new.id]
        assert (stored.kek_id, stored.wrapped) == ("new", "by-new")
        remade = wrapped("s1", ref="r2", kek="old")
        assert await data_keys.rewrap(remade, "new") is False  # another key's life
