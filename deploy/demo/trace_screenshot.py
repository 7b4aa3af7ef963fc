"""The README's picture of one request's trace: after `make jaeger` and `make run`, submit
one request to intake, wait until Jaeger holds its whole trace (intake's HTTP span down
to notification's handling of the decision), then photograph that trace in Jaeger's UI
with the system Chromium.

    .venv/bin/python -m deploy.demo.trace_screenshot --out docs/trace.png

The request is the sample (deploy/local/sample-request.json) with a fresh request id and
NIK serial, so every run is a new applicant's first request. Nothing but the trace id
(never personal data) is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[2]
SUBMIT = "intake POST /v1/requests"
LAST = "jemput-notification handle RequestVerified"  # the trace is whole once this is in
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


class NoTrace(RuntimeError):
    """What the script needs is not there (a service, Jaeger, its UI, the trace)."""


def sample_request() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((ROOT / "deploy/local/sample-request.json").read_text())
    body["request_id"] = f"trace-shot-{uuid.uuid4().hex[:12]}"
    nik = body["applicant"]["nik"]
    body["applicant"]["nik"] = f"{nik[:12]}{random.randint(1, 9999):04d}"  # noqa: S311
    return body


async def submit(intake: str, key: str, started_us: int, jaeger: str) -> str:
    """Submit one request; the id of its trace as Jaeger reports it."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{intake}/v1/requests", json=sample_request(), headers={"X-API-Key": key}
        )
        if response.status_code not in (200, 201):
            raise NoTrace(f"intake answered {response.status_code}: {response.text[:200]}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = await client.get(
                f"{jaeger}/api/traces",
                params={"service": "jemput-intake", "operation": SUBMIT, "start": started_us},
            )
            found.raise_for_status()
            for trace in found.json().get("data") or []:
                if any(span["operationName"] == LAST for span in trace["spans"]):
                    return str(trace["traceID"])
            await asyncio.sleep(0.5)
    raise NoTrace(f"no trace with {SUBMIT!r} and {LAST!r} in Jaeger within 60 s")


async def photograph(jaeger: str, trace_id: str, out: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 520})
        await page.goto(f"{jaeger}/trace/{trace_id}")
        if await page.get_by_text("This is not the Jaeger UI").count():
            await browser.close()
            raise NoTrace(
                "this Jaeger has no UI built in (a build from the Go module carries a "
                "placeholder): give it one with JEMPUT_JAEGER_UI_ASSETS (docs/operations.md)"
            )
        await page.get_by_text(LAST).first.wait_for(timeout=30_000)
        await page.screenshot(path=str(out), full_page=False)
        await browser.close()


async def main(intake: str, jaeger: str, key: str, out: Path) -> None:
    started_us = int(time.time() * 1_000_000)
    trace_id = await submit(intake, key, started_us, jaeger)
    print(f"trace {trace_id}: {jaeger}/trace/{trace_id}")
    await photograph(jaeger, trace_id, out)
    print(f"screenshot: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intake", default="http://127.0.0.1:8001")
    parser.add_argument("--jaeger", default="http://127.0.0.1:16686")
    parser.add_argument("--key", default="dev-officer-key", help="an officer's API key")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/trace.png")
    args = parser.parse_args()
    asyncio.run(main(args.intake, args.jaeger, args.key, args.out))
