"""`service_app` (shared/web/app.py), the one app every service is built on: the order its
lifespan starts and stops things in, readiness with what a service can do without, and
the middleware in place (counted by route, headers on refusals too)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

import shared.web.app
from shared.eventstore.store import EventStore
from shared.settings import ServiceSettings
from shared.web.app import service_app

SETTINGS = ServiceSettings(store_probe_seconds=0)


class Journal(list[str]):
    pass


class FakeAdmin:
    def __init__(self, journal: Journal, answers: bool) -> None:
        self.journal, self.answers = journal, answers

    async def command(self, name: str) -> dict[str, int]:
        if not self.answers:
            raise ConnectionError("no store")
        return {"ok": 1}


class FakeClient:
    def __init__(self, journal: Journal, answers: bool = True) -> None:
        self.journal, self.admin = journal, FakeAdmin(journal, answers)

    async def close(self) -> None:
        self.journal.append("client closed")


class FakeBroker:
    def __init__(self, journal: Journal, answers: bool = True, hangs: bool = False) -> None:
        self.journal, self.answers, self.hangs = journal, answers, hangs

    async def connect(self) -> None:
        self.journal.append("broker connected")

    async def stop(self) -> None:
        if self.hangs:  # a consumer left waiting on its group
            await asyncio.Event().wait()
        self.journal.append("broker stopped")

    async def start(self) -> None:
        self.journal.append("broker started")

    async def ping(self, timeout: float) -> bool:  # noqa: ASYNC109 (FastStream's signature)
        return self.answers


class FakeStore:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def flush(self) -> None:
        self.journal.append("store flushed")


def app_over(journal: Journal, consumes: bool = True, **kwargs: Any) -> FastAPI:
    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[EventStore]:
        journal.append("set up")
        yield cast(EventStore, FakeStore(journal))
        journal.append("torn down")

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        journal.append("serving")
        yield
        journal.append("stopped serving")

    return service_app(
        SETTINGS,
        "t-app",
        cast(Any, kwargs.pop("client", FakeClient(journal))),
        broker=cast(Any, kwargs.pop("broker", FakeBroker(journal))),
        set_up=set_up,
        serving=serving,
        consumes=consumes,
        **kwargs,
    )


async def test_the_lifespan_starts_in_order_and_stops_in_reverse() -> None:
    journal = Journal()
    app = app_over(journal)
    async with app.router.lifespan_context(app):
        assert journal == ["set up", "broker connected", "broker started", "serving"]
        journal.clear()
    assert journal == [
        "stopped serving",
        "store flushed",  # before the broker stops: what was stored reaches Kafka
        "broker stopped",
        "torn down",
        "client closed",
    ]


async def test_a_producer_only_broker_is_connected_but_not_started() -> None:
    journal = Journal()
    app = app_over(journal, consumes=False)
    async with app.router.lifespan_context(app):
        assert "broker started" not in journal
        assert "broker connected" in journal


async def test_a_broker_that_will_not_stop_is_left_and_the_client_still_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shared.web.app, "BROKER_STOP_SECONDS", 0.05)
    journal = Journal()
    app = app_over(journal, broker=FakeBroker(journal, hangs=True))
    async with asyncio.timeout(5):
        async with app.router.lifespan_context(app):
            journal.clear()
    assert journal == ["stopped serving", "store flushed", "torn down", "client closed"]


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_ready_needs_every_check_but_those_it_can_do_without() -> None:
    journal = Journal()
    ready = await _get(app_over(journal), "/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "failed": []})

    no_kafka = FakeBroker(journal, answers=False)
    down = await _get(app_over(journal, broker=no_kafka), "/health/ready")
    assert (down.status_code, down.json()["failed"]) == (503, ["kafka"])

    degraded = await _get(app_over(journal, broker=no_kafka, without={"kafka"}), "/health/ready")
    assert degraded.status_code == 200
    assert degraded.json() == {"status": "ok", "failed": [], "degraded": ["kafka"]}

    no_store = FakeClient(journal, answers=False)
    gone = await _get(app_over(journal, client=no_store, without={"kafka"}), "/health/ready")
    assert (gone.status_code, gone.json()["failed"]) == (503, ["mongo"])
    assert (await _get(app_over(journal, client=no_store), "/health/live")).status_code == 200


async def test_requests_are_counted_by_route_and_refusals_carry_the_page_headers() -> None:
    app = app_over(Journal())

    @app.get("/v1/things/{thing}")
    async def thing(thing: str) -> dict[str, str]:
        return {"thing": thing}

    labels = {"service": "t-app", "route": "/v1/things/{thing}", "status": "200"}
    before = REGISTRY.get_sample_value("jemput_http_requests_total", labels) or 0
    assert (await _get(app, "/v1/things/JB-SECRET")).status_code == 200
    assert REGISTRY.get_sample_value("jemput_http_requests_total", labels) == before + 1

    app.state.store_breaker.open_for(60)
    refused = await _get(app, "/v1/things/x")
    assert refused.status_code == 503
    assert refused.headers["content-security-policy"].startswith("default-src 'self'")
    assert refused.headers["retry-after"] == str(SETTINGS.retry_after_seconds)
