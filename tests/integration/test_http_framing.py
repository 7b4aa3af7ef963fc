"""The body-size limit holds whatever the headers say, against a real HTTP server: a
declared length, or a chunked body counted as it arrives (shared/web/body_guard.py).

Sent with a raw socket, as an attacker would: a client library would not send framing
this wrong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import uvicorn
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.bootstrap import create_app
from shared.eventstore.recorder import Document
from tests.e2e.receivers import free_port
from tests.factories import form
from tests.integration.intake_client import OFFICER_KEY, intake_settings
from tests.waiting import eventually


@pytest.fixture
async def server(mongo_db: AsyncDatabase[Document], kafka_bootstrap: str) -> AsyncIterator[int]:
    port = free_port()
    app = create_app(intake_settings(mongo_db.name))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    await eventually(lambda: running.started, within=30, what="the intake server")
    yield port
    running.should_exit = True
    await asyncio.wait_for(task, 30)


async def raw_request(port: int, head: str, body: bytes) -> int:
    """Send bytes as they are; the status code of the first answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 30)
    writer.close()
    return int(status_line.split()[1])


def chunked(data: bytes, size: int = 65536) -> bytes:
    parts = [
        f"{len(data[i : i + size]):x}\r\n".encode() + data[i : i + size] + b"\r\n"
        for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


async def test_content_length_with_chunked_body_is_refused(
    server: int, mongo_db: AsyncDatabase[Document]
) -> None:
    big = json.dumps(form(applicant={"address": "x" * 10_000_000})).encode()
    head = (
        "POST /v1/requests HTTP/1.1\nHost: intake\nContent-Type: application/json\n"
        f"X-API-Key: {OFFICER_KEY}\nContent-Length: 100\nTransfer-Encoding: chunked\n"
    )
    assert await raw_request(server, head, chunked(big)) in (400, 413)
    assert await mongo_db["events"].count_documents({}) == 0


async def test_a_chunked_body_over_the_limit_is_refused(
    server: int, mongo_db: AsyncDatabase[Document]
) -> None:
    big = json.dumps(form(applicant={"address": "x" * 10_000_000})).encode()
    head = (
        "POST /v1/requests HTTP/1.1\nHost: intake\nContent-Type: application/json\n"
        f"X-API-Key: {OFFICER_KEY}\nTransfer-Encoding: chunked\n"
    )
    assert await raw_request(server, head, chunked(big)) == 413
    assert await mongo_db["events"].count_documents({}) == 0


async def test_a_valid_chunked_body_is_taken(
    server: int, mongo_db: AsyncDatabase[Document]
) -> None:
    body = json.dumps(form()).encode()
    head = (
        "POST /v1/requests HTTP/1.1\nHost: intake\nContent-Type: application/json\n"
        f"X-API-Key: {OFFICER_KEY}\nTransfer-Encoding: chunked\n"
    )
    assert await raw_request(server, head, chunked(body, size=100)) == 201
    assert await mongo_db["events"].count_documents({}) == 1


async def test_a_body_with_no_framing_at_all_is_refused(
    server: int, mongo_db: AsyncDatabase[Document]
) -> None:
    head = (
        "POST /v1/requests HTTP/1.1\nHost: intake\nContent-Type: application/json\n"
        f"X-API-Key: {OFFICER_KEY}\n"
    )
    assert await raw_request(server, head, b"") == 411
    assert await mongo_db["events"].count_documents({}) == 0


async def test_an_honest_request_still_goes_through(server: int) -> None:
    body = json.dumps(form()).encode()
    head = (
        "POST /v1/requests HTTP/1.1\nHost: intake\nContent-Type: application/json\n"
        f"X-API-Key: {OFFICER_KEY}\nContent-Length: {len(body)}\n"
    )
    assert await raw_request(server, head, body) == 201
