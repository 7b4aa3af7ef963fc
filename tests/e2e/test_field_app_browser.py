"""The officers' field app in a real browser (the OS's Chromium through Playwright) against
the real pipeline (Kafka, FerretDB, verification, notification, a real SMTP sink).

Offline is two cuts at once: the browser's own (`set_offline`) and a TCP proxy between the
page and intake that the test closes (the service worker cannot reach around it), and
the test proves that intake saw nothing while it was closed."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.eventstore.recorder import Document
from tests.e2e.field_app_driver import (
    WAIT_MS,
    choose_point,
    close_receipt,
    count,
    enrol,
    fill,
    outbox,
    raw_storage,
    restore_storage,
    save,
    twenty_applicants,
    unlock,
)
from tests.e2e.field_app_stage import (
    DEVICE,
    SLOTS,
    Batches,
    Field,
    compare_device_with_store,
    go_offline,
    keep,
    sent_since,
)
from tests.e2e.field_network import (
    INTAKE_PORT,
    PROXY_PORT,
    CuttableProxy,
    Overload,
    flap,
)
from tests.e2e.pipeline import KEYS, pipeline
from tests.e2e.served import served
from tests.e2e.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tests.waiting import eventually


@pytest.fixture
async def field(mongo_db: AsyncDatabase[Document]) -> AsyncIterator[Field]:
    if not shutil.which(str(CHROMIUM)):
        pytest.fail("no /usr/bin/chromium: `make browser` (apt-get install chromium)")
    async with pipeline(mongo_db.name) as jb:
        changed = {"http_port": INTAKE_PORT, "max_in_flight_requests": SLOTS}
        settings = IntakeSettings(**{**jb.settings.model_dump(), **changed})
        app = intake_app(settings)
        async with (
            served(app, INTAKE_PORT),
            CuttableProxy(PROXY_PORT, INTAKE_PORT) as proxy,
            async_playwright() as p,
        ):
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            overload = Overload(INTAKE_PORT, SLOTS, KEYS["officer-1"][1])
            url = f"http://127.0.0.1:{PROXY_PORT}/app/"
            try:
                running = Field(jb, app, proxy, overload, browser, url, mongo_db)
                yield running
                assert running.errors == [], "a script error in the app"
            finally:
                overload.stop()
                await browser.close()


async def test_twenty_requests_taken_offline_arrive_once_through_a_flapping_network(
    field: Field, tmp_path: Path
) -> None:
    f = field
    key = await f.enrol_device()
    context, page = await f.context()
    await enrol(page, DEVICE, key)
    await eventually(
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        within=30,
        what="the service worker controlling the page",
    )
    await choose_point(page)

    before = await go_offline(f, context)
    await page.reload()  # the app still opens: the service worker's copy
    await page.get_by_label("PIN", exact=True).fill("135790")
    await page.get_by_role("button", name="Buka", exact=True).click()
    await expect(page.locator("#unlock-error")).to_have_text(
        "PIN salah. Sisa percobaan sebelum jeda: 4."
    )
    await unlock(page)
    await expect(page.locator("#offline")).to_be_visible()

    people = twenty_applicants()
    await fill(page, people[0])
    typed_wrong = "3174011503900000"  # serial 0000: the form's NIK check stops it
    await page.get_by_label("NIK", exact=True).fill(typed_wrong)
    await page.get_by_role("button", name="Simpan ke kotak keluar").click()
    await expect(page.locator("#e-applicant\\.nik")).to_have_text(
        "Empat angka terakhir NIK tidak boleh 0000."
    )
    await expect(page.get_by_label("NIK", exact=True)).to_be_focused()
    assert await outbox(page) == []
    await page.evaluate("scrollTo(0, 0)")
    await page.screenshot(path=str(tmp_path / "field-app-form.png"))
    await page.get_by_label("NIK", exact=True).fill(people[0].nik)
    await save(page)
    provisional = tmp_path / "field-app-receipt-provisional.png"
    await page.locator("#receipt").screenshot(path=str(provisional))
    await close_receipt(page)
    for who in people[1:]:
        await fill(page, who)
        await save(page)
        await close_receipt(page)
    assert await count(page, "pending") == 20
    kept = await raw_storage(page)
    for who in people:
        for value in who.personal:
            assert value not in kept, f"{who.kind} applicant's data in clear on the device"
    assert key not in kept
    await page.screenshot(path=str(tmp_path / "field-app-outbox-offline.png"), full_page=True)
    assert f.proxy.forwarded == before, "intake heard from the device while it was offline"
    assert await f.submitted() == {}

    # The same device in a second tab, unlocked too: when the signal returns both want to
    # send. Back online, the signal comes and goes, intake sheds load part of the time,
    # and the first tab is reloaded while its first batch is on the wire.
    second_tab = await context.new_page()
    await second_tab.goto(f.url)
    await unlock(second_tab)
    batches = Batches()
    for tab in (page, second_tab):
        batches.watch(tab)
    f.proxy.restore()
    f.proxy.stall()  # a signal that swallows requests: a batch hangs on the wire
    online_at: int = await page.evaluate("Date.now()")
    batches.started.clear()
    await context.set_offline(False)  # both tabs hear `online` and want to send
    await asyncio.wait_for(batches.started.wait(), 30)
    await asyncio.sleep(3)  # the other tab asks for the lock again every 2 s meanwhile
    assert await sent_since(online_at, page, second_tab) == 1, "two tabs sending at once"
    assert f.proxy.forwarded == before
    batches.started.clear()
    flapping = asyncio.create_task(flap(f.proxy, f.overload, cycles=4, period=1.5))
    await asyncio.wait_for(batches.started.wait(), 60)
    await page.reload()
    await unlock(page)
    await flapping
    for tab in (page, second_tab):
        await expect(tab.locator("#count-pending")).to_have_text("0", timeout=120_000)
    assert f.overload.on is False
    assert batches.shed + batches.cut + f.proxy.refused > 0, "the sync met no cut and no 503"
    await second_tab.close()

    entries = await outbox(page)
    problems = await compare_device_with_store(f, entries, people)
    assert problems == []
    await eventually(
        lambda: all(len(f.jb.mailbox.to(p.email)) >= 1 for p in people),
        within=90,
        what="an email to every applicant",
    )
    await page.locator(f'button[data-request-id="{entries[0]["request_id"]}"]').click()
    await expect(page.locator("#receipt svg path")).to_have_count(1)
    status_page = f"http://127.0.0.1:{PROXY_PORT}/cek/#{entries[0]['tracking_code']}"
    await expect(page.locator("#receipt-link")).to_have_text(status_page)
    await expect(page.locator("#receipt svg")).to_have_attribute("aria-label", status_page)
    await page.locator("#receipt").screenshot(path=str(tmp_path / "field-app-receipt.png"))
    await close_receipt(page)
    await page.evaluate("scrollTo(0, 0)")
    await page.screenshot(path=str(tmp_path / "field-app-outbox.png"))

    # A second browser replays the outbox as it was before any of it was sent.
    other, replay = await f.context()
    await eventually(
        lambda: replay.evaluate("navigator.serviceWorker.controller !== null"),
        within=30,
        what="the service worker in the second context",
    )
    await restore_storage(replay, kept)
    await replay.reload()
    await unlock(replay)
    await expect(replay.locator("#count-pending")).to_have_text("0", timeout=60_000)
    replayed = {e["request_id"]: e for e in await outbox(replay)}
    assert {e.get("result") for e in replayed.values()} == {"duplicate"}
    assert {r: e["tracking_code"] for r, e in replayed.items()} == {
        e["request_id"]: e["tracking_code"] for e in entries
    }
    assert await compare_device_with_store(f, entries, people) == []
    assert all(len(f.jb.mailbox.to(p.email)) == 1 for p in people), "an applicant emailed twice"
    await other.close()
    await context.close()
    keep(tmp_path, {"shed": batches.shed, "cut": batches.cut, "refused": f.proxy.refused})


async def test_a_revoked_device_key_is_told_plainly_and_loses_nothing(
    field: Field, tmp_path: Path
) -> None:
    f = field
    context, page = await f.context(width=390, height=844)  # a phone this time
    await page.get_by_label("ID perangkat").fill(DEVICE)
    await page.get_by_label("Kunci perangkat").fill(KEYS["officer-1"][1])  # a person's key
    await page.get_by_label("PIN baru").fill("246810")
    await page.get_by_label("Ulangi PIN").fill("246810")
    await page.get_by_role("button", name="Daftarkan").click()
    await expect(page.locator("#enrol-error")).to_have_text(
        "Ini bukan kunci perangkat: minta supervisor mendaftarkan perangkat ini."
    )
    await enrol(page, DEVICE, await f.enrol_device())
    await choose_point(page)
    await f.revoke_device()  # the tablet was reported lost, then found
    people = twenty_applicants()[:2]
    for who in people:
        await fill(page, who)
        await save(page)
        await close_receipt(page)
    status = page.locator("#sync-status")
    await expect(status).to_contain_text("Kunci perangkat ditolak server", timeout=WAIT_MS)
    await expect(status).to_contain_text("2 permohonan tetap di perangkat")
    assert await count(page, "pending") == 2
    assert [e["state"] for e in await outbox(page)] == ["pending", "pending"]
    assert await f.submitted() == {}

    new_key = await f.enrol_device()  # the supervisor enrols it again: a new key
    await page.get_by_role("button", name="English").click()  # the officer's language
    await expect(status).to_contain_text("Nothing is lost: 2 requests stay on the device")
    await page.screenshot(path=str(tmp_path / "field-app-revoked-phone.png"))
    await expect(page.get_by_label("Device key")).to_be_visible()
    await page.get_by_label("Device key").fill(new_key)
    await page.get_by_role("button", name="Enrol").click()
    await expect(page.locator("#count-pending")).to_have_text("0", timeout=WAIT_MS)
    await expect(status).to_have_text("Every request is sent.")
    assert await compare_device_with_store(f, await outbox(page), people) == []
    await context.close()
    keep(tmp_path)


async def test_a_request_the_server_refuses_is_corrected_and_sent_under_its_id(
    field: Field,
) -> None:
    """The form's checks are a first pass; the server is the judge. An address the form
    let through and the server refuses comes back as "needs attention" with the field at
    fault; corrected, it goes again under the same request id and is stored once."""
    f = field
    context, page = await f.context()
    await enrol(page, DEVICE, await f.enrol_device())
    await choose_point(page)
    who = twenty_applicants()[7]  # a birth certificate
    await fill(page, who)
    await page.get_by_label("Email (boleh kosong)").fill("siti..aminah@example.id")
    await save(page)
    await close_receipt(page)
    await expect(page.locator("#count-attention")).to_have_text("1", timeout=WAIT_MS)
    [entry] = await outbox(page)
    assert (entry["state"], entry["errors"][0]["field"]) == ("invalid", "applicant.email")
    assert "siti..aminah" not in json.dumps(entry["errors"]), "the value sent, in clear"
    assert await f.submitted() == {}

    await page.get_by_role("button", name="Perbaiki").click()
    await expect(page.locator("#e-applicant\\.email")).not_to_be_empty()
    await expect(page.get_by_label("NIK", exact=True)).to_have_value(who.nik)
    await page.get_by_label("Email (boleh kosong)").fill(who.email)
    await save(page)
    await close_receipt(page)
    await expect(page.locator("#count-pending")).to_have_text("0", timeout=WAIT_MS)
    await expect(page.locator("#count-attention")).to_have_text("0")
    [sent] = await outbox(page)
    assert (sent["request_id"], sent["state"]) == (entry["request_id"], "accepted")
    assert sent["captured_at"] == entry["captured_at"], "the time of capture was changed"
    assert await compare_device_with_store(f, [sent], [who]) == []
    await context.close()
