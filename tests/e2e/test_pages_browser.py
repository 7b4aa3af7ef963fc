"""The verifiers' workqueue and the applicants' status page in a real browser (the OS's
Chromium through Playwright) on the real Kafka and FerretDB: a request sent to review is
claimed and decided in the queue, and its applicant's email and status page then tell the
outcome in plain words; two verifiers on one case; the status page in both languages at
a phone's size; the limit on guessing as the page shows it. Screenshots go to
.local/artifacts/pages-browser/ (the README's are copies of them)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect
from pymongo.asynchronous.database import AsyncDatabase

from shared.eventstore.recorder import Document
from tests.e2e.pipeline import KEYS, Pipeline, pipeline
from tests.e2e.served import served_intake, served_verification
from tests.e2e.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import form
from tests.waiting import eventually

TABLET: ViewportSize = {"width": 1024, "height": 768}
PHONE: ViewportSize = {"width": 360, "height": 740}
WAIT_MS = 20_000
ARTIFACTS = Path(".local/artifacts/pages-browser")
# The rules may have decided by the time the page asks (no review: approved).
IN_ID, IN_EN = (
    re.compile("^(Sedang diproses|Disetujui)$"),
    re.compile("^(Being processed|Approved)$"),
)


@pytest.fixture
async def jb(mongo_db: AsyncDatabase[Document], kafka_bootstrap: str) -> AsyncIterator[Pipeline]:
    if not shutil.which(str(CHROMIUM)):
        pytest.fail("no /usr/bin/chromium: `make browser` (apt-get install chromium)")
    async with pipeline(mongo_db.name) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the browser)
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def to_review(jb: Pipeline, nik: str = "3174011503900001") -> str:
    """A request the rules send to a verifier (its birth date differs from the NIK's)."""
    body = form(nik=nik, applicant={"birth_date": "1990-03-16"})
    sent = await jb.intake.post("/v1/requests", json=body, headers=jb.as_("officer-1"))
    assert sent.status_code == 201, sent.text
    code: str = sent.json()["tracking_code"]

    async def queued() -> bool:
        listed = (await jb.verification.get("/v1/reviews", headers=jb.as_("verifier-1"))).json()
        return any(r["tracking_code"] == code for r in listed)

    await eventually(queued, within=30, what="the review in the queue")
    return code


async def log_in(page: Page, url: str, verifier: str) -> None:
    await page.goto(f"{url}/app/")
    await page.get_by_label("Kunci API pemeriksa").fill(KEYS[verifier][1])
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.locator("#main")).to_be_visible()


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_a_review_decided_in_the_queue_reaches_the_applicant(
    jb: Pipeline, browser: Browser, mongo_db: AsyncDatabase[Document]
) -> None:
    code = await to_review(jb)
    async with (
        served_verification(
            jb.settings, dead_letter_topic=jb.verification_dead_letters
        ) as verification,
        served_intake(jb.settings, status_limit_per_minute=100) as intake,
    ):
        page = await browser.new_page(viewport=TABLET)
        await page.goto(f"{verification}/app/")
        await page.get_by_label("Kunci API pemeriksa").fill("not-a-key-0123456789")
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.locator("#login-error")).to_contain_text("Kunci tidak dikenal")
        await log_in(page, verification, "verifier-1")
        row = page.locator(f'tr[data-code="{code}"]')
        await expect(row).to_contain_text("Perekaman e-KTP")
        await expect(row).to_contain_text("317401")
        await expect(row).to_contain_text("menit")  # how long it has waited
        await page.get_by_label("Jenis").select_option("skds")
        await expect(row).to_have_count(0)
        await page.get_by_label("Jenis").select_option("")
        await expect(row).to_have_count(1)
        await shot(page, "verifiers-queue")

        await row.get_by_role("button").click()
        case = page.locator("#case")
        await expect(case).to_contain_text("Siti Aminah")  # personal data, for the verifier
        await expect(page.locator("#case-reasons li")).not_to_have_count(0)
        reasons = await page.locator("#case-reasons").inner_text()
        assert "_" not in reasons  # sentences, not codes
        await expect(row).to_contain_text("Anda")  # claimed by this verifier
        await shot(page, "verifiers-case")
        [read] = await mongo_db["audit_access"].find({"action": "review"}).to_list(None)
        assert (read["caller"], read["case_reference"]) == ("verifier-1", f"review:{code}")

        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#decision-error")).to_contain_text(
            "Pilih setujui, tolak atau minta dokumen"
        )
        await page.locator("body").press("a")  # the shortcut: approve, then the reason
        await expect(page.locator("#approve")).to_be_checked()
        await expect(page.locator("#reason")).to_be_focused()
        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#decision-error")).to_contain_text("Tuliskan alasannya")
        await page.locator("#reason").fill("Tanggal lahir salah ketik; KK dicocokkan di loket")
        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#notice")).to_contain_text(f"{code} disetujui")
        await expect(row).to_have_count(0)

        async def emailed() -> bool:
            return any("disetujui" in body(m) for m in jb.mailbox.to("siti@example.id"))

        await eventually(emailed, within=30, what="the approval emailed to the applicant")

        phone = await browser.new_page(viewport=PHONE)
        await phone.goto(f"{intake}/cek/#{code}")
        await expect(phone.locator("#status")).to_have_text("Disetujui", timeout=WAIT_MS)
        await expect(phone.locator("#next")).to_contain_text("perekaman e-KTP Anda disetujui")
        assert "Siti" not in await phone.content()
        await shot(phone, "applicants-status-id")
        await phone.get_by_role("button", name="English").click()
        await expect(phone.locator("#status")).to_have_text("Approved", timeout=WAIT_MS)
        await expect(phone.locator("#next")).to_contain_text("request is approved")
        await expect(phone.locator("html")).to_have_attribute("lang", "en")
        await shot(phone, "applicants-status-en")


def body(message: object) -> str:
    payload = message.get_payload(decode=True)  # type: ignore[attr-defined]
    return payload.decode() if isinstance(payload, bytes) else ""


async def test_two_verifiers_on_one_case(
    jb: Pipeline, browser: Browser, mongo_db: AsyncDatabase[Document]
) -> None:
    code = await to_review(jb)
    # Claims that run out in three seconds: the first verifier walks away, the second
    # takes the case over, the first comes back and is told.
    async with served_verification(
        jb.settings, dead_letter_topic=jb.verification_dead_letters, review_claim_minutes=0.05
    ) as url:
        first = await (await browser.new_context(viewport=TABLET)).new_page()
        second = await (await browser.new_context(viewport=TABLET)).new_page()
        await log_in(first, url, "verifier-1")
        await log_in(second, url, "verifier-2")
        await first.locator(f'tr[data-code="{code}"]').get_by_role("button").click()
        await expect(first.locator("#case")).to_be_visible()

        await second.locator(f'tr[data-code="{code}"]').get_by_role("button").click()
        await expect(second.locator("#notice")).to_contain_text("sedang diambil oleh verifier-1")
        await expect(second.locator("#case")).to_be_hidden()
        await shot(second, "verifiers-claimed-by-another")

        started = time.monotonic()
        await eventually(lambda: time.monotonic() - started > 3.5, what="the claim to run out")
        await second.locator(f'tr[data-code="{code}"]').get_by_role("button").click()
        await expect(second.locator("#case")).to_be_visible()

        await first.locator("#approve").check()
        await first.locator("#reason").fill("cocok dengan KK")
        await first.get_by_role("button", name="Simpan keputusan").click()
        await expect(first.locator("#decision-error")).to_contain_text(
            "sedang diambil oleh verifier-2"
        )
        await second.locator("#reject").check()
        await second.locator("#reason").fill("tanggal lahir di KK berbeda")
        await second.get_by_role("button", name="Simpan keputusan").click()
        await expect(second.locator("#notice")).to_contain_text(f"{code} ditolak")

        await first.get_by_role("button", name="Simpan keputusan").click()
        await expect(first.locator("#decision-error")).to_contain_text(
            "sudah diputuskan oleh verifier-2: ditolak"
        )
        await shot(first, "verifiers-decided-by-another")
    decisions = await mongo_db["events"].find({"event_type": "ManualReviewDecided"}).to_list(None)
    assert [(d["payload"]["verifier"], d["payload"]["outcome"]) for d in decisions] == [
        ("verifier-2", "rejected")
    ]


async def test_documents_asked_for_in_the_queue_then_a_second_round(
    jb: Pipeline, browser: Browser, mongo_db: AsyncDatabase[Document]
) -> None:
    """The third action: ask for documents (key D, checkboxes, the reason); the case leaves
    the queue, the applicant is told which documents; once they are supplied the rules
    send it back, and the same page decides the second round."""
    code = await to_review(jb)
    async with (
        served_verification(
            jb.settings, dead_letter_topic=jb.verification_dead_letters
        ) as verification,
        served_intake(jb.settings, status_limit_per_minute=100) as intake,
    ):
        page = await browser.new_page(viewport=TABLET)
        await log_in(page, verification, "verifier-1")
        row = page.locator(f'tr[data-code="{code}"]')
        await row.get_by_role("button").click()
        await expect(page.locator("#case")).to_contain_text("Siti Aminah")
        await expect(page.locator("#ask-documents")).to_be_hidden()
        await page.locator("body").press("d")  # the shortcut: ask, then choose which
        await expect(page.locator("#ask")).to_be_checked()
        await expect(page.locator("#ask-documents")).to_be_visible()
        await expect(page.locator("input[name=ask-document]").first).to_be_focused()
        await page.locator("#reason").fill("Foto KK buram, tanggal lahir tidak terbaca")
        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#decision-error")).to_contain_text("Pilih dokumen")
        await page.get_by_role("checkbox", name="Kartu Keluarga (KK)").check()
        await shot(page, "verifiers-ask-documents")
        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#notice")).to_contain_text(f"{code} dokumen diminta")
        await expect(row).to_have_count(0)

        def asked() -> bool:
            return any("Kartu Keluarga (KK)" in body(m) for m in jb.mailbox.to("siti@example.id"))

        await eventually(asked, within=30, what="the documents asked for, emailed")
        phone = await browser.new_page(viewport=PHONE)
        await phone.goto(f"{intake}/cek/#{code}")
        await expect(phone.locator("#status")).to_have_text("Perlu dokumen tambahan")
        await expect(phone.locator("#result")).to_contain_text("Kartu Keluarga (KK)")

        supplied = await jb.intake.post(
            f"/v1/requests/{code}/documents",
            json={"documents": ["family_card"]},
            headers=jb.as_("officer-1"),
        )
        assert supplied.status_code == 204, supplied.text

        async def back_in_review() -> bool:
            waiting = {"_id": code, "decided_by": None}
            return await mongo_db["review_queue"].count_documents(waiting) == 1

        await eventually(back_in_review, within=30, what="the request back in the queue")
        await page.locator("body").press("n")  # the next free case: this one again
        await expect(page.locator("#case")).to_be_visible()  # hidden since the first round
        await expect(page.locator("#case-title")).to_contain_text(code)
        await expect(page.locator("#case-documents")).to_contain_text("Kartu Keluarga (KK)")
        await page.locator("body").press("a")
        await page.locator("#reason").fill("KK asli dicocokkan di loket")
        await page.get_by_role("button", name="Simpan keputusan").click()
        await expect(page.locator("#decision-error")).to_have_text("")
        await expect(page.locator("#notice")).to_contain_text(f"{code} disetujui")
    events = mongo_db["events"]
    decisions = await events.find({"event_type": "ManualReviewDecided"}).sort("position").to_list()
    rounds = await events.find({"event_type": "ManualReviewRequired"}).sort("position").to_list()
    assert [(d["payload"]["outcome"], d["payload"]["documents"]) for d in decisions] == [
        ("documents_requested", ["family_card"]),
        ("approved", []),
    ]
    assert [d["payload"]["round_id"] for d in decisions] == [r["event_id"] for r in rounds]


async def test_the_status_page_on_a_phone_and_its_limit(jb: Pipeline, browser: Browser) -> None:
    sent = await jb.intake.post("/v1/requests", json=form(), headers=jb.as_("officer-1"))
    code = sent.json()["tracking_code"]
    # Four lookups a minute: the page (1), its answer (2), the switch (3), one more (4).
    # The steps below take ~10 s, several times that on a loaded machine: 35 s left at least.
    await eventually(lambda: time.time() % 60 < 25, within=40, what="a window with time left")
    async with served_intake(jb.settings, status_limit_per_minute=4) as intake:
        page = await browser.new_page(viewport=PHONE, locale="id-ID")
        await page.goto(f"{intake}/cek/")
        await expect(page.get_by_role("heading", name="Cek status permohonan")).to_be_visible()
        await page.get_by_label("Kode pada tanda terima").fill("jb-123")
        await page.get_by_role("button", name="Cek").click()
        await expect(page.locator("#message")).to_contain_text("Kode terdiri dari JB-")
        await page.get_by_label("Kode pada tanda terima").fill(code.lower())
        await page.get_by_role("button", name="Cek").click()
        await expect(page.locator("#status")).to_have_text(IN_ID)
        assert page.url.endswith(f"/cek/#{code}")  # the code stays in the fragment
        await page.get_by_role("button", name="English").click()
        await expect(page.locator("#status")).to_have_text(IN_EN)
        await page.get_by_role("button", name="Check").click()
        await expect(page.locator("#status")).to_have_text(IN_EN)
        await page.get_by_role("button", name="Check").click()
        await expect(page.locator("#message")).to_contain_text("Too many tries. Please wait")
        await expect(page.locator("#result")).to_be_hidden()
        await shot(page, "applicants-too-many")
        await page.get_by_role("button", name="Bahasa Indonesia").click()
        await page.get_by_role("button", name="Cek").click()
        await expect(page.locator("#message")).to_contain_text("Terlalu sering mencoba. Tunggu")
