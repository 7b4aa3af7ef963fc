"""Wires the audit service's HTTP face."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo import AsyncMongoClient

from services.audit.api import router
from services.audit.broken import BrokenStreamError
from services.audit.service import AuditService
from services.audit.settings import AuditSettings
from services.audit.wiring import audit_service
from shared.runtime import mongo_client
from shared.web.api_errors import BrokenChain
from shared.web.app import service_app

log = logging.getLogger(__name__)


async def sweep_every(audit: AuditService, seconds: float) -> None:
    """Apply the retention policy now and then; a failed sweep is retried next time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await audit.retention_sweep()
        except Exception as exc:  # keep sweeping: the next run picks up what this missed
            log.warning("retention sweep failed", extra={"error": type(exc).__name__})
            continue
        log.info("retention sweep", extra={"erased_streams": len(done)})


def create_app(
    settings: AuditSettings | None = None,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    service: AuditService | None = None,
) -> FastAPI:
    """`service` replaces the one wired to MongoDB (the in-memory tier passes its own)."""
    settings = settings or AuditSettings()
    client = client or mongo_client(settings)

    @asynccontextmanager
    async def set_up(app: FastAPI) -> AsyncIterator[None]:
        app.state.audit = service or await audit_service(settings, client)
        sweeping = None
        if service is None and settings.retention_sweep_seconds > 0:
            sweeping = asyncio.create_task(
                sweep_every(app.state.audit, settings.retention_sweep_seconds)
            )
        yield None  # its appends (erasures) are published by the relay: nothing to flush
        if sweeping is not None:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping

    app = service_app(
        settings,
        "audit",
        client,
        set_up=set_up,
        description="For auditors (`X-API-Key`): read-only but for approved erasures. "
        "Reads need a `case` reference.",
    )

    @app.exception_handler(BrokenStreamError)  # what verify found, not a bare 500
    async def broken(_: Request, exc: BrokenStreamError) -> JSONResponse:
        found = exc.found
        body = BrokenChain(
            detail=str(exc), stream_id=found.stream_id, version=found.version, kind=found.kind
        )
        return JSONResponse(body.model_dump(), 409)

    @app.exception_handler(LookupError)  # NotFoundError, an unknown rule set or request
    async def not_found(_: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 404)

    app.include_router(router)
    return app
