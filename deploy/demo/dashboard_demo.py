"""`make demo-data`: a realistic campaign in the dashboard, and the README's screenshot.

Fills the dashboard's read model (database `jemput_demo`) with thousands of requests over
the last 30 days at every kind of outreach point, as the consumer would have built them
(rows hold no personal data, so none is invented), serves the dashboard on it and takes
a screenshot with the system Chromium (`--screenshot docs/dashboard.png`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import uvicorn
from playwright.async_api import async_playwright

from services.dashboard.bootstrap import create_app
from services.dashboard.model import RequestRow
from services.dashboard.rows import MongoRows
from services.dashboard.settings import DashboardSettings
from shared.collections import DASHBOARD_REQUESTS, DASHBOARD_STREAMS
from shared.domain.applicant import Status
from shared.domain.calendar import WIB
from shared.runtime import mongo_client
from shared.web.http import ApiKey, Role, key_digest

KECAMATAN = {
    "317401": ["Tebet Barat", "Bukit Duri", "Manggarai"],
    "317402": ["Karet", "Menteng Atas", "Kuningan Timur"],
    "317403": ["Mampang Prapatan", "Tegal Parang"],
    "317404": ["Pejaten Barat", "Ragunan", "Kebagusan"],
    "317405": ["Kebayoran Lama Utara", "Pondok Pinang", "Cipulir"],
    "317406": ["Cilandak Barat", "Lebak Bulus", "Pondok Labu"],
    "317407": ["Senayan", "Gandaria Utara", "Melawai"],
    "317408": ["Kalibata", "Duren Tiga"],
    "317409": ["Jagakarsa", "Srengseng Sawah", "Ciganjur"],
    "317410": ["Bintaro", "Ulujami", "Petukangan Utara"],
}
POINTS = [
    ("kelurahan_office", "Kantor Kelurahan {k}"),
    ("school", "SMAN {n} Jakarta"),
    ("government_office", "Kantor Walikota Jaksel"),
    ("night_service", "Layanan Malam {k}"),
]
KINDS = [("ektp_recording", 0.6), ("birth_certificate", 0.25), ("skds", 0.15)]
REASONS = {
    "ektp_recording": ["ektp_under_age", "ektp_already_recorded", "duplicate_open_request"],
    "birth_certificate": ["parent_nik_invalid", "birth_in_future"],
    "skds": ["skds_resident_of_province", "skds_stay_too_long"],
}
KEY = "demo-supervisor-key"


def rows(count: int, today: date, rng: random.Random) -> list[RequestRow]:
    made = []
    for n in range(count):
        day = today - timedelta(days=min(29, int(rng.expovariate(1 / 12))))
        at = datetime.combine(day, time(8), WIB) + timedelta(minutes=rng.randint(0, 12 * 60))
        kecamatan = rng.choice(list(KECAMATAN))
        kelurahan = rng.choice(KECAMATAN[kecamatan])
        point_kind, name = rng.choice(POINTS)
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        status = (
            rng.choices(list(Status), [2, 4, 3, 70, 15, 1])[0]
            if day < today
            else rng.choice(list(Status))
        )
        decided = (
            at + timedelta(seconds=rng.randint(2, 90)) if status is not Status.SUBMITTED else None
        )
        made.append(
            RequestRow(
                request_id=f"demo-{n:06}",
                tracking_code=f"JB-DEMO{n % 100000:05}",
                kind=kind,
                point_kind=point_kind,
                point_name=name.format(k=kelurahan, n=rng.randint(1, 112)),
                kelurahan=kelurahan,
                kecamatan=kecamatan,
                status=status,
                submitted_at=at,
                decided_at=decided,
                notified_at=decided + timedelta(seconds=rng.randint(1, 30)) if decided else None,
                review_since=decided if status is Status.MANUAL_REVIEW else None,
                reasons=[rng.choice(REASONS[kind])] if status is Status.REJECTED else [],
                failed_notifications=int(rng.random() < 0.01),
            )
        )
    return made


async def main(count: int, screenshot: Path | None, db: str, port: int) -> None:
    today = datetime.now(WIB).date()
    folder = Path(tempfile.mkdtemp())
    campaign = folder / "campaign.json"
    targets = {k: 700 + 100 * i for i, k in enumerate(KECAMATAN)}
    campaign.write_text(
        json.dumps(
            {
                "name": "Jemput Bola Jakarta Selatan: kejar tenggat perekaman",
                "kinds": [k for k, _ in KINDS],
                "start": str(today - timedelta(days=29)),
                "deadline": str(today + timedelta(days=30)),
                "targets": targets,
            }
        )
    )
    settings = DashboardSettings(
        mongo_db=db,
        # A topic nobody writes: the live consumer must not add the local system's events
        # (tests, make run) to the demo's rows.
        events_topic=f"jemput.demo.events.{today:%Y%m%d}",
        campaign_file=campaign,
        http_port=port,
        api_keys={"demo": ApiKey(role=Role.SUPERVISOR, sha256=key_digest(KEY))},
    )
    client = mongo_client(settings)
    database = client[settings.mongo_db]
    filled = await MongoRows(database[DASHBOARD_REQUESTS], database[DASHBOARD_STREAMS]).replace_all(
        rows(count, today, random.Random(20261130)),  # noqa: S311 (demo data, seeded)
        versions={},  # rows made up, not from a log
    )
    await client.close()
    print(f"{filled} requests over 30 days in database {db}")
    if screenshot is None:
        return
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), port=settings.http_port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 1000})
        for _ in range(100):
            if server.started:
                break
            await asyncio.sleep(0.1)
        await page.goto(f"http://127.0.0.1:{settings.http_port}/")
        await page.get_by_label("Kunci API supervisor").fill(KEY)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_selector("#bars rect")
        await page.screenshot(path=str(screenshot), full_page=False)
        await browser.close()
    server.should_exit = True
    await task
    print(f"screenshot: {screenshot}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--db", default="jemput_demo", help="the database to fill (replaced)")
    parser.add_argument("--port", type=int, default=8095, help="the dashboard's, for the shot")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.screenshot, args.db, args.port))
