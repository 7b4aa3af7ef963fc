"""The dashboard in a real browser (the OS's Chromium, driven by Playwright): a supervisor
logs in, requests come in through the API, the counts and the bars change, a filter
narrows them, a table downloads as CSV. Screenshots are kept in pytest's tmp dir."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page, Route, async_playwright, expect
from pymongo.asynchronous.database import AsyncDatabase

from services.dashboard.bootstrap import create_app as dashboard_app
from services.dashboard.settings import DashboardSettings
from shared.eventstore.recorder import Document
from tests.e2e.pipeline import KEYS, Pipeline, pipeline
from tests.factories import ADULT_NIK, BANDUNG_NIK, form
from tests.waiting import eventually

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 30_000  # the page refreshes every 10 s; a change shows within three


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def campaign(folder: Path) -> Path:
    today = date.today()
    path = folder / "campaign.json"
    path.write_text(
        json.dumps(
            {
                "name": "Uji kampanye",
                "kinds": ["ektp_recording", "birth_certificate", "skds"],
                "start": (today - timedelta(days=10)).isoformat(),
                "deadline": (today + timedelta(days=20)).isoformat(),
                "targets": {"317401": 10},
            }
        )
    )
    return path


@pytest.fixture
async def dashboard(
    mongo_db: AsyncDatabase[Document], kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[tuple[Pipeline, str]]:
    if not shutil.which(str(CHROMIUM)):
        pytest.fail("no /usr/bin/chromium: `make browser` (apt-get install chromium)")
    async with pipeline(mongo_db.name) as jb:
        fields = {
            k: v
            for k, v in jb.settings.model_dump().items()
            if k in DashboardSettings.model_fields and k != "http_port"
        }
        settings = DashboardSettings(**fields, campaign_file=campaign(tmp_path))
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(dashboard_app(settings), port=port, log_level="warning")
        )
        task = asyncio.create_task(server.serve())
        try:
            await eventually(lambda: server.started, within=30, what="the dashboard listening")
            yield jb, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)


async def submit(jb: Pipeline, body: dict[str, object]) -> None:
    response = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
    assert response.status_code == 201, response.text


async def shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def test_a_supervisor_sees_the_campaign_change_filters_and_downloads(
    dashboard: tuple[Pipeline, str], tmp_path: Path
) -> None:
    jb, url = dashboard
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        await page.goto(url)
        await page.get_by_label("Kunci API supervisor").fill("wrong-key-0123")
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.locator("#login-error")).to_contain_text("Kunci tidak dikenal")

        await page.get_by_label("Kunci API supervisor").fill(KEYS["supervisor-1"][1])
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.locator("#total-count")).to_have_text("0", timeout=WAIT_MS)
        await shot(page, tmp_path, "1-empty")

        await submit(jb, form())
        await submit(jb, form("skds", BANDUNG_NIK))
        await expect(page.locator("#total-count")).to_have_text("2", timeout=WAIT_MS)
        bar = page.locator('#bars rect[data-kecamatan="317401"]')
        await expect(bar).to_have_attribute("data-count", "2", timeout=WAIT_MS)
        await expect(page.locator("#burnup-line")).to_have_attribute("data-cumulative", "2")
        await expect(page.locator("#kecamatan-table")).to_contain_text("Tebet")
        await shot(page, tmp_path, "2-two-requests")

        await page.get_by_label("Jenis permohonan").select_option("skds")
        await expect(page.locator("#total-count")).to_have_text("1", timeout=WAIT_MS)
        await shot(page, tmp_path, "3-filtered")

        async with page.expect_download() as download_info:
            await page.locator('button.csv[data-table="kecamatan"]').click()
        download = await download_info.value
        saved = tmp_path / "kecamatan.csv"
        await download.save_as(saved)
        header, line = saved.read_text().splitlines()
        assert header.startswith("kecamatan,kecamatan_name,total,today")
        assert line.startswith("317401,Tebet,1,1")

        await page.get_by_role("button", name="English").click()
        await expect(page.get_by_role("heading", name="By kecamatan")).to_be_visible()
        await page.set_viewport_size({"width": 390, "height": 844})  # a phone
        await shot(page, tmp_path, "4-english-phone")
        await browser.close()
    keep_artifacts(tmp_path)


# Counts the page's summary fetches, and the most under way at once (before its scripts run).
COUNT_FETCHES = """
window.fetches = { calls: 0, now: 0, most: 0 };
const original = window.fetch;
window.fetch = async (...args) => {
  if (!String(args[0]).includes("/v1/dashboard/summary")) return original(...args);
  const f = window.fetches;
  f.calls += 1; f.now += 1; f.most = Math.max(f.most, f.now);
  try { return await original(...args); } finally { f.now -= 1; }
};
"""
# Counts what is written to the page's live region.
COUNT_ANNOUNCEMENTS = """
window.announced = [];
const live = document.getElementById("announce");
new MutationObserver(() => window.announced.push(live.textContent))
  .observe(live, { childList: true, characterData: true, subtree: true });
"""


async def test_refreshes_never_overlap_speak_only_of_changes_and_name_reasons(
    dashboard: tuple[Pipeline, str],
) -> None:
    """Time is the browser's fake clock: a refresh is due every 10 s after the last ended.
    A slow answer holds the next refresh back; unchanged figures are not announced again
    (a screen reader would repeat "updated" every 10 s); reasons read as sentences."""
    jb, url = dashboard
    gate = asyncio.Event()
    gate.set()

    async def held(route: Route) -> None:
        await gate.wait()
        await route.continue_()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.add_init_script(COUNT_FETCHES)
        await page.route("**/v1/dashboard/summary*", held)
        await page.clock.install()
        await page.goto(url)
        await page.clock.pause_at(await page.evaluate("Date.now() + 1000"))
        await page.get_by_label("Kunci API supervisor").fill(KEYS["supervisor-1"][1])
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.locator("#total-count")).to_have_text("0", timeout=WAIT_MS)
        await page.evaluate(COUNT_ANNOUNCEMENTS)
        assert await page.locator("#updated").get_attribute("aria-live") is None

        gate.clear()  # the next answer is slow
        await page.clock.fast_forward(10_000)
        await eventually(partial(_fetches, page, "calls", 2), what="the refresh under way")
        await page.clock.fast_forward(30_000)  # three more periods while it is slow
        gate.set()
        await eventually(partial(_fetches, page, "now", 0), what="the slow refresh done")
        assert await page.evaluate("window.fetches") == {"calls": 2, "now": 0, "most": 1}
        for calls in (3, 4):  # nothing changed: refreshed, and nothing said
            await eventually(partial(_refreshed, page, calls), what="a refresh")
        await eventually(partial(_fetches, page, "now", 0), what="the refreshes done")
        assert await page.evaluate("window.announced") == []

        await submit(jb, form("skds", ADULT_NIK))  # rejected: a Jakartan needs no SKDS

        async def shown() -> bool:
            await page.clock.fast_forward(10_000)
            return await page.locator("#total-count").text_content() == "1" and (
                "SKDS hanya untuk" in (await page.locator("#kecamatan-table").text_content() or "")
            )

        await eventually(shown, within=60, what="the rejection on the page")
        assert set(await page.evaluate("window.announced")) == {"Angka diperbarui."}
        await expect(page.locator("#kecamatan-table")).to_contain_text(
            "SKDS hanya untuk pendatang yang KTP-nya dari luar Provinsi DKI Jakarta. (1)"
        )
        await page.get_by_role("button", name="English").click()
        await expect(page.locator("#kecamatan-table")).to_contain_text(
            "from outside the province of DKI Jakarta. (1)"
        )
        await expect(page.locator("#kecamatan-table")).not_to_contain_text("skds_resident")
        await browser.close()


async def _refreshed(page: Page, calls: int) -> bool:
    """Ten seconds on (the next refresh is due 10 s after the last ended, which may be
    a moment after its fetch did): whether the page has fetched `calls` times."""
    await page.clock.fast_forward(10_000)
    counted: int = await page.evaluate("window.fetches.calls")
    return counted >= calls


async def _fetches(page: Page, field: str, value: int) -> bool:
    counted: int = await page.evaluate(f"window.fetches.{field}")
    return counted == value


def keep_artifacts(folder: Path) -> None:
    """The screenshots also in .local/artifacts/ (ignored by git), to look at after a run."""
    kept = Path(".local/artifacts/dashboard-browser")
    kept.mkdir(parents=True, exist_ok=True)
    for png in folder.glob("*.png"):
        shutil.copy(png, kept / png.name)
