"""What intake shows the public: the applicants' status page at /cek/, and the limit on
how fast one client may look up tracking codes (the page, `GET /v1/status/…` and
`POST /v1/status`), counted in the shared store (shared/web/rate_limit.py, ADR 11).

The code never reaches the server in a URL: the page takes it from the fragment
(`/cek/#JB-…`), which browsers do not send, and posts it in a body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.database import AsyncDatabase
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.intake.api import NO_CODE, Deps
from services.intake.handlers import StatusView, find, status_view
from services.intake.settings import IntakeSettings
from shared.collections import RATE_LIMITS
from shared.domain.requests import Language
from shared.eventstore.errors import store_unavailable
from shared.web.api_errors import ANY, WITH_BODY, errors
from shared.web.http import unavailable
from shared.web.page_headers import security_headers
from shared.web.rate_limit import MongoSlotStore, RateLimiter, SlotStore, client_key, peer_address

STATIC = Path(__file__).parent / "static"
LIMITED = ("/v1/status", "/cek/")  # the page's own files (script, style) are not counted
PAGE_ASSETS = ("/cek/cek.js", "/cek/cek.css")
TOO_MANY = {
    "id": "Terlalu sering mencoba. Tunggu sebentar, lalu coba lagi.",
    "en": "Too many tries. Please wait a moment, then try again.",
}
REFUSED = Counter(
    "jemput_rate_limited_total", "Public lookups refused for going too fast", ["route"]
)


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_code: str = Field(max_length=20, examples=["JB-7K3M9-QX2PD"])
    lang: Language | None = None


lookup = APIRouter(prefix="/v1")


@lookup.post(
    "/status",
    response_model=StatusView,
    responses=errors(404, 429, *WITH_BODY, *ANY, e404=NO_CODE),
)
async def status_by_body(query: StatusQuery, d: Deps) -> StatusView:
    """What `GET /v1/status/{code}` answers, with the code in the body: the status page
    asks this way, so that the code is in no URL that a proxy in front of intake logs."""
    found = await find(d, query.tracking_code)
    if found is None:
        raise HTTPException(404, NO_CODE)
    return status_view(found[1], query.lang)


def too_many(path: str, retry_after: int) -> Response:
    # This middleware sits outside service_app's: it adds the pages' headers itself.
    headers = {k.decode(): v.decode() for k, v in security_headers(path)}
    headers["Retry-After"] = str(retry_after)
    if path.startswith("/cek/"):
        text = f"{TOO_MANY['id']} ({retry_after} s)\n{TOO_MANY['en']} ({retry_after} s)\n"
        return PlainTextResponse(text, 429, headers=headers)
    return JSONResponse({"detail": TOO_MANY["en"]}, 429, headers=headers)


class PublicRateLimit:
    """Counts lookups of the public paths per client; past the limit answers 429 with
    `Retry-After` (seconds to the window's end) and lets nothing else through to intake."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        secret: bytes,
        proxies: frozenset[str],
        retry_after: int,
    ) -> None:
        self.app, self.limiter, self.secret, self.proxies = app, limiter, secret, proxies
        self.retry_after = retry_after  # when the store that counts cannot be reached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(LIMITED) or path in PAGE_ASSETS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        peer = scope.get("client")
        address = peer_address(
            peer[0] if peer else None,
            headers.get(b"x-forwarded-for", b"").decode("latin-1") or None,
            self.proxies,
        )
        try:
            verdict = await self.limiter.hit(client_key(self.secret, address))
        except Exception as exc:  # outside service_app's handling: the same answer
            if not store_unavailable(exc):
                raise
            await unavailable("intake", "store_down", self.retry_after)(scope, receive, send)
            return
        if verdict.allowed:
            await self.app(scope, receive, send)
            return
        REFUSED.labels("page" if path.startswith("/cek/") else "status").inc()
        await too_many(path, verdict.retry_after)(scope, receive, send)


def install_public(
    app: FastAPI,
    settings: IntakeSettings,
    db: AsyncDatabase[dict[str, Any]],
    slots: SlotStore | None = None,
) -> None:
    """The status page and the limit on the public paths (`slots`: a test's own store)."""
    limiter = RateLimiter(
        slots or MongoSlotStore(db[RATE_LIMITS]), settings.status_limit_per_minute, 60
    )
    app.add_middleware(
        PublicRateLimit,
        limiter=limiter,
        secret=settings.pseudonym_bytes(),
        proxies=settings.trusted_proxies,
        retry_after=settings.retry_after_seconds,
    )

    app.include_router(lookup)

    @app.get("/cek/", include_in_schema=False)
    async def status_page() -> FileResponse:
        return FileResponse(STATIC / "cek.html")

    app.mount("/cek", StaticFiles(directory=STATIC), name="cek")
