"""The middleware every service app is built from (shared/web/), each on its own: the load
shedder, the store breaker's gate, what exceptions become, the request counter."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import REGISTRY
from pymongo.errors import ServerSelectionTimeoutError
from starlette.types import Receive, Scope, Send

from shared.eventstore.errors import ConcurrencyError
from shared.web.failures import AnswerFailures
from shared.web.shedder import LoadShedder
from shared.web.store_breaker import RefuseWhileOpen, StoreBreaker
from shared.web.telemetry import RequestTelemetry
from tests.unit.asgi_driver import Echo, exchange
from tests.waiting import eventually

PROBES = ("/health/", "/metrics")


class Held:
    """An app that answers only once released: requests stay in flight meanwhile."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered += 1
        await self.release.wait()
        await Echo()(scope, receive, send)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_shedder_answers_503_overload_beyond_its_limit_and_lets_probes_by() -> None:
    held = Held()
    shedder = LoadShedder(held, "t-shed", max_in_flight=2, retry_after=3, exempt=PROBES)
    first = [asyncio.create_task(exchange(shedder, "GET", "/v1/x", {}, [])) for _ in range(2)]
    await eventually(lambda: held.entered == 2, within=2, what="two requests in flight")
    assert sample("jemput_http_in_flight", service="t-shed") == 2

    shed = await exchange(shedder, "POST", "/v1/x", {}, [b"{}"])
    assert shed.status == 503
    assert shed.headers["retry-after"] == "3"
    assert json.loads(shed.body)["reason"] == "overload"
    assert shed.chunks_read == 0  # refused before the body was read
    assert held.entered == 2

    probe = asyncio.create_task(exchange(shedder, "GET", "/health/ready", {}, []))
    await eventually(lambda: held.entered == 3, within=2, what="the probe to get through")
    held.release.set()
    assert [a.status for a in await asyncio.gather(*first, probe)] == [200, 200, 200]
    assert sample("jemput_http_in_flight", service="t-shed") == 0
    assert (await exchange(shedder, "GET", "/v1/x", {}, [])).status == 200  # room again


async def test_a_shedder_without_a_limit_sheds_nothing() -> None:
    held = Held()
    shedder = LoadShedder(held, "t-unlimited", max_in_flight=0, retry_after=2)
    calls = [asyncio.create_task(exchange(shedder, "GET", "/v1/x", {}, [])) for _ in range(50)]
    await eventually(lambda: held.entered == 50, within=2, what="all fifty in flight")
    held.release.set()
    assert {a.status for a in await asyncio.gather(*calls)} == {200}


async def test_an_open_breaker_refuses_at_once_but_not_the_probes() -> None:
    breaker = StoreBreaker("t-gate")
    inner = Echo()
    gate = RefuseWhileOpen(inner, breaker, "t-gate", retry_after=4, exempt=PROBES)
    assert (await exchange(gate, "GET", "/v1/x", {}, [])).status == 200
    breaker.open_for(60)
    refused = await exchange(gate, "POST", "/v1/x", {}, [b"{}"])
    assert (refused.status, refused.headers["retry-after"]) == (503, "4")
    assert json.loads(refused.body)["reason"] == "store_down"
    assert refused.chunks_read == 0
    assert inner.calls == 1
    assert (await exchange(gate, "GET", "/health/live", {}, [])).status == 200


class Raising:
    def __init__(self, error: Exception, after_start: bool = False) -> None:
        self.error, self.after_start = error, after_start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise self.error


async def test_a_store_that_did_not_answer_is_503_and_opens_the_breaker() -> None:
    breaker = StoreBreaker("t-fail-store")
    app = AnswerFailures(
        Raising(ServerSelectionTimeoutError("mongo:27017 NIK 3174011503900001")),
        "t-fail-store",
        retry_after=5,
        store_down=breaker.open_for,
    )
    answer = await exchange(app, "POST", "/v1/x", {}, [b"{}"])
    assert (answer.status, answer.headers["retry-after"]) == (503, "5")
    assert b"3174011503900001" not in answer.body  # the message never reaches the caller
    assert breaker.is_open


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (ConcurrencyError("s", 1, 2), 503, "overload"),
        (ValueError("NIK 3174011503900001"), 500, None),
    ],
    ids=["contention", "a-bug"],
)
async def test_what_other_failures_become(
    error: Exception, status: int, reason: str | None
) -> None:
    opened: list[float] = []
    app = AnswerFailures(Raising(error), "t-fail", retry_after=2, store_down=opened.append)
    answer = await exchange(app, "GET", "/v1/x", {}, [])
    assert answer.status == status
    assert json.loads(answer.body).get("reason") == reason
    assert b"3174011503900001" not in answer.body
    assert opened == []


async def test_a_failure_after_the_answer_began_is_not_answered_twice() -> None:
    class LateError(Exception):
        pass

    app = AnswerFailures(Raising(LateError(), after_start=True), "t-late", 2, lambda _: None)
    with pytest.raises(LateError):
        await exchange(app, "GET", "/v1/x", {}, [])


async def test_requests_are_counted_by_status_whatever_answered() -> None:
    app = RequestTelemetry(Echo(), "t-count", untraced=PROBES)
    before = sample(
        "jemput_http_requests_total", service="t-count", route="unmatched", status="200"
    )
    await exchange(app, "GET", "/v1/x", {}, [])
    await exchange(app, "GET", "/health/live", {}, [])
    after = sample("jemput_http_requests_total", service="t-count", route="unmatched", status="200")
    assert after == before + 2
