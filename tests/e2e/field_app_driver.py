"""An officer's hands on the field app in a real browser (Playwright), and a look inside
the device's IndexedDB, for the browser tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

WAIT_MS = 30_000
PIN = "246810"
POINT = {
    "kind": "school",
    "name": "SMAN 8 Jakarta",
    "kelurahan": "Bukit Duri",
    "kecamatan": "317401",
}
NOT_PERSONAL = ("stay_months", "child_sex")  # a number of months, one letter


@dataclass(frozen=True)
class Applicant:
    """One person at the table: what the officer types, and what must never be stored in
    clear (`personal`)."""

    kind: str
    nik: str
    name: str
    birth_date: str
    sex: str
    email: str
    phone: str
    address: str
    details: dict[str, str] = field(default_factory=dict)
    documents: tuple[str, ...] = ()

    @property
    def personal(self) -> list[str]:
        values = [self.nik, self.name, self.birth_date, self.email, self.phone, self.address]
        return values + [v for k, v in self.details.items() if k not in NOT_PERSONAL]


def twenty_applicants() -> list[Applicant]:
    """7 e-KTP recordings, 7 birth certificates, 6 SKDS: every one valid by the rules."""
    people = []
    for i in range(7):
        people.append(
            Applicant(
                "ektp_recording", f"31740{i + 1}15039001{i:02d}", f"Budi Santoso {chr(65 + i)}",
                "1990-03-15", "M", f"ektp{i}@example.id", f"+62812345670{i:02d}",
                f"Jl. Tebet Raya {i + 10}, RT 001/RW 002",
            )
        )  # fmt: skip
    for i in range(7):
        people.append(
            Applicant(
                "birth_certificate", f"31740155089002{i:02d}", f"Siti Aminah {chr(65 + i)}",
                "1990-08-15", "F", f"akta{i}@example.id", f"+62812345671{i:02d}",
                f"Jl. Bukit Duri {i + 20}, RT 003/RW 004",
                {"child_name": f"Putri Anak {chr(65 + i)}", "child_birth_date": f"2026-11-0{i + 1}",
                 "child_sex": "F", "place_of_birth": "RSUD Tebet",
                 "family_card_number": f"31740101012003{i:02d}",
                 "birth_letter_reference": f"RSUD-TBT/2026/11/00{i + 40}"},
                ("birth_letter", "family_card", "marriage_record"),
            )
        )  # fmt: skip
    for i in range(6):
        people.append(
            Applicant(
                "skds", f"32730102029503{i:02d}", f"Asep Sunandar {chr(65 + i)}", "1995-02-02",
                "M", f"skds{i}@example.id", f"+62812345672{i:02d}",
                f"Jl. Dago {i + 30}, Bandung",
                {"city_address": f"Jl. Kemang Raya {i + 5}, Jakarta Selatan", "stay_months": "6"},
                ("domicile_statement", "origin_id_card"),
            )
        )  # fmt: skip
    return people


async def enrol(page: Page, device_id: str, key: str, pin: str = PIN) -> None:
    await page.get_by_label("ID perangkat").fill(device_id)
    await page.get_by_label("Kunci perangkat").fill(key)
    await page.get_by_label("PIN baru").fill(pin)
    await page.get_by_label("Ulangi PIN").fill(pin)
    await page.get_by_role("button", name="Daftarkan").click()
    await expect(page.locator("#main")).to_be_visible(timeout=WAIT_MS)


async def unlock(page: Page, pin: str = PIN) -> None:
    await page.get_by_label("PIN", exact=True).fill(pin)
    await page.get_by_role("button", name="Buka", exact=True).click()
    await expect(page.locator("#main")).to_be_visible(timeout=WAIT_MS)


async def choose_point(page: Page) -> None:
    await page.get_by_label("Jenis lokasi").select_option(POINT["kind"])
    await page.get_by_label("Nama lokasi").fill(POINT["name"])
    await page.get_by_label("Kelurahan", exact=True).fill(POINT["kelurahan"])
    await page.get_by_label("Kecamatan", exact=True).select_option(POINT["kecamatan"])
    await page.get_by_role("button", name="Simpan lokasi").click()
    await expect(page.locator("#capture")).to_be_visible()


async def fill(page: Page, who: Applicant) -> None:
    await page.locator(f'input[name="details.kind"][value="{who.kind}"]').check()
    await page.get_by_label("NIK", exact=True).fill(who.nik)
    await page.get_by_label("Nama lengkap").fill(who.name)
    await page.get_by_label("Tanggal lahir", exact=True).fill(who.birth_date)
    await page.get_by_label("Jenis kelamin", exact=True).select_option(who.sex)
    await page.get_by_label("Alamat", exact=True).fill(who.address)
    await page.get_by_label("Email (boleh kosong)").fill(who.email)
    await page.get_by_label("Telepon (boleh kosong)").fill(who.phone)
    for name, value in who.details.items():
        target = page.locator(f'[name="details.{name}"]')
        if name == "child_sex":
            await target.select_option(value)
        else:
            await target.fill(value)
    if who.kind == "birth_certificate":
        await page.locator('[name="details.mother_nik"]').fill(who.nik)
        await page.get_by_label("Orang tua menikah").check()
    for document in who.documents:
        await page.locator(f'input[name="documents"][value="{document}"]').check()


async def save(page: Page) -> None:
    await page.get_by_role("button", name="Simpan ke kotak keluar").click()
    await expect(page.locator("#receipt")).to_be_visible()


async def close_receipt(page: Page) -> None:
    await page.get_by_role("button", name="Tutup").click()
    await expect(page.locator("#receipt")).to_be_hidden()


async def count(page: Page, which: str) -> int:
    return int(await page.locator(f"#count-{which}").inner_text())


STORAGE = (Path(__file__).parent / "field_app_storage.js").read_text()


async def raw_storage(page: Page) -> str:
    """Everything the app keeps in IndexedDB, as JSON text, read straight from the database."""
    text: str = await page.evaluate(f"({STORAGE}).dump()")
    return text


async def restore_storage(page: Page, text: str) -> None:
    await page.evaluate(f"(text) => ({STORAGE}).restore(text)", text)


async def outbox(page: Page) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(await raw_storage(page))["outbox"]
    return entries
