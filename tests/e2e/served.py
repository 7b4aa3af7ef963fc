"""Services on real ports for a browser (uvicorn in this process), beside a pipeline."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from services.intake.bootstrap import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.verification.bootstrap import create_app as verification_app
from services.verification.settings import VerificationSettings
from shared.settings import ServiceSettings
from tests.waiting import eventually

PORTS = range(18600, 18700)  # this work's own range on the shared machine


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18600-18699")


def like(settings: ServiceSettings, kind: type[ServiceSettings], **changes: Any) -> Any:
    """`kind` settings with the pipeline's database, topics and keys."""
    fields = {k: v for k, v in settings.model_dump().items() if k in kind.model_fields}
    return kind(**{**fields, **changes})


@asynccontextmanager
async def served(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """`app` (with its lifespan) on 127.0.0.1:`port` (by default a free one)."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, within=30, what="the service listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def served_intake(settings: ServiceSettings, **changes: Any) -> AsyncIterator[str]:
    async with served(intake_app(like(settings, IntakeSettings, **changes))) as url:
        yield url


@asynccontextmanager
async def served_verification(settings: ServiceSettings, **changes: Any) -> AsyncIterator[str]:
    async with served(verification_app(like(settings, VerificationSettings, **changes))) as url:
        yield url
