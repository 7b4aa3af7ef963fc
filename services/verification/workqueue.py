"""The verifiers' workqueue page at /app/: static files, same origin as the review API
(the key stays in the tab's sessionStorage and travels only in `X-API-Key`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def install_workqueue(app: FastAPI) -> None:
    @app.get("/app/", include_in_schema=False)
    async def workqueue() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/app", StaticFiles(directory=STATIC), name="app")
