"""The hang report follows a suspended task down to the await it is stuck on."""

from __future__ import annotations

import asyncio

from tests.hang_report import awaiting


async def test_a_suspended_task_is_followed_to_its_innermost_await() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def stuck_here() -> None:
        await never

    async def caller() -> None:
        await stuck_here()

    task = asyncio.create_task(caller())
    await asyncio.sleep(0)  # let it run up to its await
    where = awaiting(task.get_coro())
    task.cancel()
    assert [line.rsplit(" in ", 1)[1] for line in where] == ["caller", "stuck_here"]
