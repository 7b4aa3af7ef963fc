"""`python -m services.dashboard.rebuild`: the dashboard's rows again from the log alone,
event by event through the same code as the consumer, then stored in place of the live
ones. Prints how many rows, and whether they equal what the consumer had built."""

from __future__ import annotations

import asyncio
import sys

from services.dashboard.model import InMemoryRows, take
from services.dashboard.rows import MongoRows
from services.dashboard.settings import DashboardSettings
from shared.collections import DASHBOARD_REQUESTS, DASHBOARD_STREAMS
from shared.eventstore.store import EventStore
from shared.runtime import mongo_client, open_store


async def replay(store: EventStore) -> InMemoryRows:
    rows = InMemoryRows()
    async for record in store.read_all():
        await take(rows, record, store)
    return rows


async def main() -> None:
    settings = DashboardSettings()
    client = mongo_client(settings)
    try:
        rebuilt = await replay(await open_store(client, settings))
        db = client[settings.mongo_db]
        live = MongoRows(db[DASHBOARD_REQUESTS], db[DASHBOARD_STREAMS])
        same = [await live.get(k) == row for k, row in rebuilt.rows.items()]
        count = await live.replace_all(rebuilt.rows.values(), rebuilt.versions)
        sys.stdout.write(
            f"{count} rows rebuilt; {'equal to' if all(same) else 'DIFFERENT from'} the live ones\n"
        )
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
