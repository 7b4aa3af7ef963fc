"""`while_store_away` (shared/messaging/patience.py): a step that succeeds runs once, an
outage is waited out with the attempts reported, any other error is raised at once."""

from __future__ import annotations

import pytest
from pymongo.errors import AutoReconnect

from shared.messaging.patience import while_store_away

FIRST, LONGEST, LIMIT = 0.001, 0.002, 5.0


async def test_a_step_that_succeeds_runs_once_and_reports_no_retry() -> None:
    calls: list[int] = []
    retried: list[int] = []

    async def step() -> str:
        calls.append(1)
        return "done"

    assert (
        await while_store_away(
            step, retrying=retried.append, first=FIRST, longest=LONGEST, limit=LIMIT
        )
        == "done"
    )
    assert (len(calls), retried) == (1, [])


async def test_an_outage_is_waited_out_and_each_retry_reported() -> None:
    retried: list[int] = []
    failures = iter([AutoReconnect("away"), AutoReconnect("away"), AutoReconnect("away")])

    async def step() -> str:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return "back"

    assert (
        await while_store_away(
            step, retrying=retried.append, first=FIRST, longest=LONGEST, limit=LIMIT
        )
        == "back"
    )
    assert retried == [2, 3, 4]


async def test_an_error_in_what_was_asked_is_raised_at_once() -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(1)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await while_store_away(step, first=FIRST, longest=LONGEST, limit=LIMIT)
    assert len(calls) == 1


async def test_an_outage_longer_than_the_limit_is_raised() -> None:
    async def step() -> None:
        raise AutoReconnect("away for good")

    with pytest.raises(AutoReconnect):
        await while_store_away(step, first=0.001, longest=0.002, limit=0.05)
