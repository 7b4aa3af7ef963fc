"""Every page jemput serves, and every file it is made of, carries the headers of
shared/web/page_headers.py: a CSP that allows only the page's own origin and no framing, no
Referer, no MIME sniffing. Found by walking each service's routes, so that a page added
later is checked without anyone listing it here. And the pages themselves need nothing
the policy forbids: no inline script or style, nothing from another origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from services.audit.bootstrap import create_app as audit_app
from services.dashboard.bootstrap import create_app as dashboard_app
from services.intake.bootstrap import create_app as intake_app
from services.notification.bootstrap import create_app as notification_app
from services.relay.bootstrap import create_app as relay_app
from services.verification.bootstrap import create_app as verification_app
from shared.web.page_headers import PAGE_POLICY
from shared.web.rate_limit import InMemorySlotStore

APPS: dict[str, Callable[[], FastAPI]] = {
    "intake": lambda: intake_app(rate_slots=InMemorySlotStore()),
    "verification": verification_app,
    "audit": audit_app,
    "dashboard": dashboard_app,
    "notification": notification_app,
    "relay": relay_app,
}
NOT_PAGES = ("/health/", "/metrics", "/docs", "/redoc", "/openapi.json")


def page_paths(app: FastAPI) -> list[str]:
    """GET routes outside the API document, and every file of every static mount."""
    paths = []
    for route in app.routes:
        if isinstance(route, APIRoute) and not route.include_in_schema:
            if "GET" in (route.methods or ()) and not route.path.startswith(NOT_PAGES):
                paths.append(route.path)
        elif isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            folder = Path(str(route.app.directory))
            paths += [f"{route.path}/{f.relative_to(folder)}" for f in folder.rglob("*.*")]
    return paths


def static_files(app: FastAPI) -> list[Path]:
    return [
        f
        for route in app.routes
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles)
        for f in Path(str(route.app.directory)).rglob("*.*")
    ]


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://page") as client:
        return await client.get(path)


@pytest.mark.parametrize("service", list(APPS))
async def test_every_page_and_its_files_carry_the_headers(service: str) -> None:
    app = APPS[service]()
    paths = page_paths(app)
    assert paths or service in ("audit", "notification", "relay"), (
        "a service with pages that were not found"
    )
    for path in [*paths, "/v1/nothing-here"]:  # an API answer too, even a refusal
        response = await get(app, path)
        assert response.status_code == 200 or path == "/v1/nothing-here", (path, response)
        assert response.headers["content-security-policy"] == PAGE_POLICY, path
        assert "frame-ancestors 'none'" in PAGE_POLICY
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_the_services_with_pages_have_them() -> None:
    assert "/" in page_paths(dashboard_app())
    assert {"/app/", "/app/app.js"} <= set(page_paths(verification_app()))
    assert {"/cek/", "/cek/cek.js"} <= set(page_paths(intake_app(rate_slots=InMemorySlotStore())))


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"<style", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # onclick= and friends
    re.compile(r"(src|href)\s*=\s*[\"']?(https?:)?//", re.I),  # another origin
    re.compile(r"javascript:", re.I),
]


@pytest.mark.parametrize("service", list(APPS))
def test_pages_need_nothing_the_policy_forbids(service: str) -> None:
    for file in static_files(APPS[service]()):
        text = file.read_text()
        for pattern in INLINE if file.suffix == ".html" else INLINE[-2:]:
            assert not pattern.search(text), (file.name, pattern.pattern)
        if file.suffix == ".js":  # setAttribute("style") and import from elsewhere
            assert not re.search(r"setAttribute\(\s*[\"']style|from\s+[\"']https?:", text)
