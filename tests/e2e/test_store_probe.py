"""A store that freezes (SIGSTOP: its connections stay open, nothing answers) no longer
costs every request its full timeout: intake's probe opens the breaker within a second,
the requests that follow are refused at once (503, Retry-After), and once the store
answers again the breaker closes by itself. A FerretDB of the test's own (own_store.py)."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import REGISTRY

from services.intake.settings import IntakeSettings
from tests.e2e.own_store import own_store
from tests.e2e.pipeline import common
from tests.e2e.test_outages import intake_on, post
from tests.waiting import eventually


def breaker_open() -> bool:
    return REGISTRY.get_sample_value("jemput_store_breaker_open", {"service": "intake"}) == 1


async def test_a_frozen_store_opens_the_breaker_within_a_second(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    with own_store(tmp_path) as store:
        settings = IntakeSettings(**common("jemput_frozen"), mongo_url=store.url)
        async with intake_on(settings) as intake:
            assert (await post(intake, 1)).status_code == 201
            assert not breaker_open()
            store.freeze()
            try:
                frozen_at = time.monotonic()
                await eventually(breaker_open, within=5, interval=0.02, what="the breaker")
                opened_after = time.monotonic() - frozen_at
                # The probe's period (0.25 s) and timeout (0.5 s): at most 0.75 s by design.
                assert opened_after < 1.0, opened_after

                started = time.monotonic()
                refused = await post(intake, 2)
                assert refused.status_code == 503, refused.text
                assert refused.json()["reason"] == "store_down"
                assert refused.headers["Retry-After"] == str(settings.retry_after_seconds)
                assert time.monotonic() - started < 0.5  # at once, not a store timeout
                assert (await intake.get("/health/live")).status_code == 200
            finally:
                store.thaw()
            await eventually(lambda: not breaker_open(), within=10, what="the breaker to close")
            assert (await post(intake, 2)).status_code == 201
