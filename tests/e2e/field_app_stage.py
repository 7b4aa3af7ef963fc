"""The stage for the field app's browser tests: the running pieces a test reaches for
(`Field`), how the device's batches fared (`Batches`, `sent_since`), and the checker that
compares what the device recorded with what the store holds."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page
from pymongo.asynchronous.database import AsyncDatabase

from shared.collections import EVENTS
from shared.eventstore.recorder import Document
from tests.e2e.field_app_driver import Applicant
from tests.e2e.field_network import CuttableProxy, Overload
from tests.e2e.pipeline import KEYS, Pipeline

SLOTS = 8  # intake sheds beyond this many at once (a browser opens 6 connections at most)
DEVICE = "tablet-07"
SUPERVISOR = {"X-API-Key": KEYS["supervisor-1"][1]}


SPANS = (Path(__file__).parent / "field_app_spans.js").read_text()


@dataclass
class Field:
    jb: Pipeline
    intake: Any  # the served intake FastAPI app (its keys can be changed)
    proxy: CuttableProxy
    overload: Overload
    browser: Browser
    url: str
    db: AsyncDatabase[Document]
    errors: list[str] = dataclasses.field(default_factory=list)  # the pages' script errors

    async def enrol_device(self) -> str:
        """The supervisor enrols the tablet: its key, shown once."""
        answer = await self.jb.intake.post(
            "/v1/devices",
            json={"device_id": DEVICE, "office": "Kel. Bukit Duri"},
            headers=SUPERVISOR,
        )
        assert answer.status_code == 201, answer.text
        key: str = answer.json()["key"]
        return key

    async def revoke_device(self) -> None:
        answer = await self.jb.intake.delete(f"/v1/devices/{DEVICE}", headers=SUPERVISOR)
        assert answer.status_code == 204, answer.text

    async def context(self, width: int = 820, height: int = 1180) -> tuple[BrowserContext, Page]:
        """A browser profile of its own (storage, service worker), a tablet by default."""
        context = await self.browser.new_context(
            viewport={"width": width, "height": height},
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        await context.add_init_script(SPANS)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: self._console(m.type, m.text))
        await page.goto(self.url)
        return context, page

    def _console(self, kind: str, text: str) -> None:
        if kind == "error" and not text.startswith("Failed to load resource"):  # cuts, 503s
            self.errors.append(text)

    async def submitted(self) -> dict[str, int]:
        """RequestSubmitted events in the log, per request id as the device sent it (stored
        under the device's scope: any other sender's would be a defect)."""
        found: dict[str, int] = {}
        async for e in self.db[EVENTS].find({"event_type": "RequestSubmitted"}, {"payload": 1}):
            scope, _, rid = str(e["payload"]["request_id"]).rpartition(":")
            assert scope == f"device:{DEVICE}", "a request stored under another scope"
            found[rid] = found.get(rid, 0) + 1
        return found


class Batches:
    """The device's batch requests as the browser saw them: the first one, and how many met
    a 503 or a cut."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.shed = self.cut = 0

    def watch(self, page: Page) -> None:
        page.on("request", lambda r: self.started.set() if self._batch(r.url) else None)
        page.on("requestfailed", lambda r: self._count(r.url, cut=1))
        page.on("response", lambda r: self._count(r.url, shed=int(r.status == 503)))

    @staticmethod
    def _batch(url: str) -> bool:
        return url.endswith("/v1/requests/batch")

    def _count(self, url: str, cut: int = 0, shed: int = 0) -> None:
        if self._batch(url):
            self.cut += cut
            self.shed += shed


async def sent_since(since: int, *tabs: Page) -> int:
    """How many batch requests the tabs sent between them since `since` (the pages' clock)."""
    sent = 0
    for tab in tabs:
        sent += await tab.evaluate(f"window.__batchSpans.filter((s) => s.start >= {since}).length")
    return sent


async def go_offline(f: Field, context: BrowserContext) -> int:
    f.proxy.cut()
    await context.set_offline(True)
    return f.proxy.forwarded


async def compare_device_with_store(
    f: Field, entries: list[dict[str, Any]], people: list[Applicant]
) -> list[str]:
    """The checker, like the drill's client history: what the device recorded against what
    the store holds. Every entry accepted with a code, each request stored exactly once
    under its id, each code answering for the kind the device took, nothing extra."""
    problems = []
    submitted = await f.submitted()
    if len(entries) != len(people):
        problems.append(f"{len(entries)} entries on the device for {len(people)} applicants")
    for e in entries:
        rid = e["request_id"]
        if e["state"] != "accepted" or not e.get("tracking_code"):
            problems.append(f"{rid}: {e['state']} on the device")
            continue
        if "sealed" in e:
            problems.append(f"{rid}: accepted, yet its form is still on the device")
        if submitted.get(rid, 0) != 1:
            problems.append(f"{rid}: stored {submitted.get(rid, 0)} times")
        status = await f.jb.intake.get(f"/v1/status/{e['tracking_code']}")
        if status.status_code != 200 or status.json()["kind"] != e["kind"]:
            problems.append(f"{rid}: the store answers {status.status_code} for its code")
    extra = set(submitted) - {e["request_id"] for e in entries}
    if extra:
        problems.append(f"{len(extra)} requests in the store the device never recorded")
    if sorted(e["kind"] for e in entries) != sorted(p.kind for p in people):
        problems.append("the kinds on the device are not the kinds taken")
    return problems


def keep(folder: Path, network: dict[str, int] | None = None) -> None:
    """The screenshots in .local/artifacts/ (ignored by git), with what the network did."""
    kept = Path(".local/artifacts/field-app-browser")
    kept.mkdir(parents=True, exist_ok=True)
    for png in folder.glob("*.png"):
        shutil.copy(png, kept / png.name)
    if network is not None:
        (kept / "network.json").write_text(json.dumps(network) + "\n")
