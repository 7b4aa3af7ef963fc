"""Guessing tracking codes, against two intake instances on the real FerretDB: a client
trying 300 codes a second gets `status_limit_per_minute` answers in all (the instances
count in the shared store and agree), the rest 429 with Retry-After; officers'
submissions meanwhile all go through, and other clients are not held back."""

from __future__ import annotations

import asyncio
import random
import string
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.bootstrap import create_app
from shared.eventstore.recorder import Document
from tests.factories import form
from tests.integration.intake_client import OFFICER_KEY, intake_settings
from tests.waiting import eventually

LIMIT = 30
GUESSER = ("198.51.100.23", 40000)
PROXY = "10.0.0.5"


def guess() -> str:
    letters = "".join(random.choices(string.digits + "ABCDEFGHJKMNPQRSTVWXYZ", k=10))
    return f"JB-{letters[:5]}-{letters[5:]}"


@pytest.fixture
async def instances(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str
) -> AsyncIterator[dict[str, list[httpx.AsyncClient]]]:
    """Two intake processes' apps on one database; for each, a client seen from the
    guesser's address, one from an officer's tablet, one through a trusted proxy."""
    settings = intake_settings(
        mongo_db.name, status_limit_per_minute=LIMIT, trusted_proxies=frozenset({PROXY})
    )
    clients: dict[str, list[httpx.AsyncClient]] = {"guesser": [], "officer": [], "proxy": []}
    async with AsyncExitStack() as stack:
        for _ in range(2):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            for who, peer in (
                ("guesser", GUESSER),
                ("officer", ("192.0.2.7", 1)),
                ("proxy", (PROXY, 2)),
            ):
                transport = httpx.ASGITransport(app=app, client=peer)
                client = httpx.AsyncClient(
                    transport=transport,
                    base_url="http://intake",
                    headers={"X-API-Key": OFFICER_KEY},
                )
                clients[who].append(await stack.enter_async_context(client))
        yield clients


async def a_fresh_window() -> None:
    """The guessing must fall in one minute's window to count it exactly."""
    await eventually(lambda: time.time() % 60 < 40, within=25, what="a window with time left")


async def test_a_guesser_is_brought_down_to_the_limit_and_officers_are_not(
    instances: dict[str, list[httpx.AsyncClient]],
) -> None:
    officer = instances["officer"]
    known = (await officer[0].post("/v1/requests", json=form())).json()["tracking_code"]
    await a_fresh_window()

    async def guessing(i: int) -> httpx.Response:
        await asyncio.sleep(i / 300)  # the client's own pace: 300 a second
        code = known if i == 150 else guess()
        return await instances["guesser"][i % 2].get(f"/v1/status/{code}")

    async def submitting(i: int) -> httpx.Response:
        await asyncio.sleep(i / 20)
        nik = f"317401150390{i + 1:04}"  # twenty applicants
        body = {**form(nik=nik), "request_id": f"tablet-09-{i:04}"}
        return await officer[i % 2].post("/v1/requests", json=body)

    guesses, submissions = await asyncio.gather(
        asyncio.gather(*(guessing(i) for i in range(300))),
        asyncio.gather(*(submitting(i) for i in range(20))),
    )
    answered = [r for r in guesses if r.status_code != 429]
    refused = [r for r in guesses if r.status_code == 429]
    assert len(answered) == LIMIT, [r.status_code for r in guesses]
    assert {r.status_code for r in answered} <= {200, 404}
    assert len(refused) == 300 - LIMIT
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)
    assert "Too many tries" in refused[0].json()["detail"]
    assert [s.status_code for s in submissions] == [201] * 20  # none slowed, none refused
    # Another applicant on another address still gets answers.
    assert (await officer[1].get(f"/v1/status/{known}")).status_code == 200
    # The same lookup with the code in the body (the page's way) is counted too.
    in_body = await instances["guesser"][1].post("/v1/status", json={"tracking_code": known})
    assert in_body.status_code == 429
    # The page is limited for the guesser too, and says so kindly in both languages.
    page = await instances["guesser"][0].get("/cek/")
    assert page.status_code == 429
    assert "Terlalu sering mencoba" in page.text
    assert "Too many tries" in page.text


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    instances: dict[str, list[httpx.AsyncClient]],
) -> None:
    await a_fresh_window()
    proxy = instances["proxy"][0]
    first = [
        await proxy.get(f"/v1/status/{guess()}", headers={"X-Forwarded-For": "203.0.113.1"})
        for _ in range(LIMIT + 1)
    ]
    assert [r.status_code for r in first].count(429) == 1
    other = await proxy.get(f"/v1/status/{guess()}", headers={"X-Forwarded-For": "203.0.113.2"})
    assert other.status_code == 404
    # A client naming someone else's address ahead of the proxy's entry changes nothing.
    spoofed = await proxy.get(
        f"/v1/status/{guess()}", headers={"X-Forwarded-For": "203.0.113.2, 203.0.113.1"}
    )
    assert spoofed.status_code == 429
