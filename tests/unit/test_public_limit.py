"""Intake's limit on the public lookups, without a stack: what a client past the limit is
told, on the API and on the page, and what it is told when the counting store is away."""

from __future__ import annotations

import httpx
from pymongo.errors import ServerSelectionTimeoutError

from services.intake.bootstrap import create_app
from services.intake.settings import IntakeSettings
from shared.web.rate_limit import InMemorySlotStore


class StoreAway(InMemorySlotStore):
    async def claim(self, slot_id: str, expires: float) -> bool:
        raise ServerSelectionTimeoutError("no server")


def client(slots: InMemorySlotStore, limit: int = 2) -> httpx.AsyncClient:
    app = create_app(IntakeSettings(status_limit_per_minute=limit), rate_slots=slots)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


async def test_past_the_limit_the_page_and_the_api_say_wait() -> None:
    async with client(InMemorySlotStore(), limit=1) as c:
        assert (await c.get("/cek/")).status_code == 200
        for asset in ("/cek/cek.js", "/cek/cek.css"):  # the page's files are not counted
            assert (await c.get(asset)).status_code == 200
        page = await c.get("/cek/")
        assert page.status_code == 429
        assert 1 <= int(page.headers["Retry-After"]) <= 60
        assert page.text.startswith("Terlalu sering mencoba.")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        for answer in (
            await c.get("/v1/status/JB-00000-00000"),
            await c.post("/v1/status", json={"tracking_code": "JB-00000-00000"}),
        ):
            assert answer.status_code == 429
            assert answer.json() == {
                "detail": "Too many tries. Please wait a moment, then try again."
            }


async def test_without_the_counting_store_the_answer_is_not_now() -> None:
    async with client(StoreAway()) as c:
        answer = await c.get("/v1/status/JB-00000-00000")
        assert answer.status_code == 503
        assert answer.json()["reason"] == "store_down"
        assert answer.headers["Retry-After"] == "2"
