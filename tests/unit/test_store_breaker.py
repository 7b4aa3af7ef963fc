"""The store breaker and its probe (shared/web/store_breaker.py), and where /metrics is served
(JEMPUT_METRICS_PORT). The probe against a frozen FerretDB: tests/e2e/test_store_probe.py."""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared.runtime import mongo_client, serve_metrics
from shared.settings import ServiceSettings
from shared.web.app import service_app
from shared.web.store_breaker import StoreBreaker, probe_store
from tests.waiting import eventually


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def gauge(service: str) -> float | None:
    return REGISTRY.get_sample_value("jemput_store_breaker_open", {"service": service})


def test_a_request_that_found_the_store_away_opens_it_for_retry_after() -> None:
    clock = Clock()
    breaker = StoreBreaker("t-request", clock)
    assert not breaker.is_open
    breaker.open_for(2)
    assert breaker.is_open
    assert gauge("t-request") == 1
    clock.now += 2.01
    assert not breaker.is_open
    assert gauge("t-request") == 0


def test_the_probe_holds_it_open_until_a_ping_answers() -> None:
    clock = Clock()
    breaker = StoreBreaker("t-probe", clock)
    breaker.probed(answered=False)
    clock.now += 60
    assert breaker.is_open  # however long: until the store answers
    before = REGISTRY.get_sample_value(
        "jemput_store_breaker_opened_total", {"service": "t-probe", "by": "probe"}
    )
    breaker.probed(answered=False)  # still away: not opened again
    assert (
        REGISTRY.get_sample_value(
            "jemput_store_breaker_opened_total", {"service": "t-probe", "by": "probe"}
        )
        == before
    )
    breaker.open_for(2)
    breaker.probed(answered=True)  # back: whoever opened it, requests may go again
    assert not breaker.is_open


async def test_a_ping_that_hangs_opens_the_breaker_within_its_timeout() -> None:
    breaker = StoreBreaker("t-hang")
    frozen = asyncio.Event()
    thawed = asyncio.Event()
    thawed.set()

    async def ping() -> None:
        if frozen.is_set():
            await asyncio.sleep(3600)  # a store that keeps the connection and never answers
        await thawed.wait()

    probe = asyncio.create_task(probe_store(breaker, ping, "t-hang", 0.05, 0.2))
    try:
        await asyncio.sleep(0.1)
        assert not breaker.is_open
        frozen.set()
        started = asyncio.get_running_loop().time()
        await eventually(lambda: breaker.is_open, within=2, what="the breaker to open")
        assert asyncio.get_running_loop().time() - started < 0.5  # timeout 0.2 + one period
        frozen.clear()
        await eventually(lambda: not breaker.is_open, within=2, what="the breaker to close")
    finally:
        probe.cancel()


def _app(**values: Any) -> FastAPI:
    settings = ServiceSettings(store_probe_seconds=0, **values)
    return service_app(settings, "t-metrics", mongo_client(settings))


async def _metrics_status(app: FastAPI) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return (await client.get("/metrics")).status_code


async def test_metrics_are_on_the_http_port_unless_a_port_of_their_own_is_set() -> None:
    assert await _metrics_status(_app()) == 200
    assert await _metrics_status(_app(metrics_port=18711)) == 404


@pytest.mark.parametrize("port", [18712])
def test_the_metrics_port_serves_them(port: int) -> None:
    server = serve_metrics(ServiceSettings(metrics_port=port, http_host="127.0.0.1"))
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert b"jemput_store_breaker_open" in answer.read()
    finally:
        server.shutdown()
        server.server_close()
    assert serve_metrics(ServiceSettings()) is None
