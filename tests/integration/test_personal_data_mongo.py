"""Personal data on the real MongoDB-wire server: rotation leaves the log byte for byte as
it was; an erased key's document is really gone; the log holds no plaintext."""

from __future__ import annotations

import bson
from pymongo.asynchronous.database import AsyncDatabase

from shared.collections import DATA_KEYS, EVENTS
from shared.domain.events import RequestSubmitted
from shared.eventstore.chain import ChainKeys
from shared.eventstore.mongo import MongoRecorder
from shared.eventstore.recorder import Document
from shared.eventstore.store import EventStore
from shared.privacy.crypto import Keyring, kek_from_secret
from shared.privacy.mongo_keys import MongoDataKeys
from shared.privacy.personal_data import PersonalData
from shared.repositories.histories import ApplicantHistories, ToRecord
from shared.retention import load_policy
from tests.factories import request_form


def keyring(*ids: str) -> Keyring:
    return Keyring(ids[0], {i: kek_from_secret(i, f"secret-of-{i}-0123456789abcdef") for i in ids})


async def applicants(
    db: AsyncDatabase[Document], ring: Keyring, keys: ChainKeys
) -> ApplicantHistories:
    recorder = MongoRecorder(db)
    await recorder.initialize()
    store = EventStore(recorder, keys)
    policy = load_policy("jaksel-2026.12")
    personal = PersonalData(MongoDataKeys(db[DATA_KEYS]), ring, policy, load_policy)
    await personal.check()
    return ApplicantHistories(store, b"pseudonym-key-0123456789", personal)


async def raw_log(db: AsyncDatabase[Document]) -> list[bytes]:
    return [bson.encode(d) async for d in db[EVENTS].find({}).sort("_id", 1)]


async def submit(a: ApplicantHistories, n: int) -> str:
    stream = a.stream_of(f"31740115039000{n:02}")
    event = RequestSubmitted(
        request_id=f"r-{n}",
        tracking_code=f"JB-{n}",
        form=request_form("skds"),
        submitted_by="officer-1",
        channel="http",
    )
    await a.record(stream, lambda _: [ToRecord(event, f"e-{n}")])
    return stream


async def test_rotation_rewraps_keys_and_leaves_the_log_byte_identical(
    mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys
) -> None:
    before_rotation = await applicants(mongo_db, keyring("k1"), chain_keys)
    streams = [await submit(before_rotation, n) for n in range(3)]
    log = await raw_log(mongo_db)
    assert log
    assert not [d for d in log if b"Siti Aminah" in d or b"Tebet" in d]

    rotated = await applicants(mongo_db, keyring("k2", "k1"), chain_keys)
    assert await rotated.personal.rotate() == 1 + 2 * len(streams)  # the canary too
    assert await raw_log(mongo_db) == log
    kek_ids = {d["kek_id"] async for d in mongo_db[DATA_KEYS].find({})}
    assert kek_ids == {"k2"}

    only_new = await applicants(mongo_db, keyring("k2"), chain_keys)
    history = await only_new.load(streams[0])
    assert history.requests["r-0"].form == request_form("skds")
    assert (await only_new.personal.rotate()) == 0


async def test_a_destroyed_key_is_gone_from_the_server(
    mongo_db: AsyncDatabase[Document], chain_keys: ChainKeys
) -> None:
    a = await applicants(mongo_db, keyring("k1"), chain_keys)
    stream = await submit(a, 1)
    assert await mongo_db[DATA_KEYS].count_documents({"owner": stream}) == 2
    assert len(await a.personal.destroy(stream, ["contact"])) == 1
    assert await mongo_db[DATA_KEYS].count_documents({"_id": f"{stream}:contact"}) == 0
    assert [d["data_class"] async for d in mongo_db[DATA_KEYS].find({"owner": stream})] == ["legal"]
    history = await (await applicants(mongo_db, keyring("k1"), chain_keys)).load(stream)
    assert history.requests["r-1"].form.applicant.email is None
    assert history.requests["r-1"].form.applicant.full_name == "Siti Aminah"
