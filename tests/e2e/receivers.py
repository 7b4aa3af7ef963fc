"""Real local receivers for the notification channels: an SMTP server and an HTTP SMS gateway."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.waiting import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: keeps every message it is given (it runs in its own thread)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []  # each message's envelope (RCPT TO), in order

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """A real SMTP server that a test can take down and bring back on the same port."""

    def __init__(self) -> None:
        self.mailbox, self.port = Mailbox(), free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    server = SmtpServer()
    server.start()
    try:
        yield server.mailbox, server.port
    finally:
        server.stop()


@dataclass
class SmsGatewayReceiver:
    """Answers 503 to the first `fail_first` requests (or always, with -1); dedupes by key."""

    fail_first: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.json()
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append({**body, "key": key})
        if self.fail_first < 0 or len(self.requests) <= self.fail_first:
            return JSONResponse({"error": "busy"}, 503)
        self.delivered.setdefault(key, body)
        return JSONResponse({"status": "queued"}, 202)


@asynccontextmanager
async def sms_gateway(receiver: SmsGatewayReceiver) -> AsyncIterator[str]:
    port = free_port()
    app = Starlette(routes=[Route("/sms", receiver.receive, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, within=10, what="the SMS gateway to listen")
    try:
        yield f"http://127.0.0.1:{port}/sms"
    finally:
        server.should_exit = True
        await task
