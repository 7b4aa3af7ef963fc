"""A service's PersonalData from its settings, checked against the stored keys at start."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.collections import DATA_KEYS
from shared.privacy.keys import DataKeyStore
from shared.privacy.mongo_keys import MongoDataKeys
from shared.privacy.personal_data import PersonalData
from shared.retention import load_policy
from shared.settings import InfraSettings


async def open_personal_data(
    db: AsyncDatabase[dict[str, Any]], settings: InfraSettings, keys: DataKeyStore | None = None
) -> PersonalData:
    """Raises (the service does not start) when the KEK is missing, weak in production,
    or not the one that wrapped the stored keys. `keys` replaces the MongoDB key store
    (the in-memory test tier)."""
    personal = PersonalData(
        keys or MongoDataKeys(db[DATA_KEYS]),
        settings.keyring(),
        load_policy(settings.retention_policy),
        load_policy,
        settings.cached_streams,
    )
    await personal.check()
    return personal
