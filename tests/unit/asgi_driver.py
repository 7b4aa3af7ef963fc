"""Drive one ASGI app with raw messages, as a server would: the body in the chunks given,
the headers exactly as given (a client library would fix framing a test means to break)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Exchange:
    sent: list[Message] = field(default_factory=list)
    chunks_read: int = 0

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start.get("headers", [])}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def http_scope(method: str, path: str, headers: dict[str, str]) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
    }


async def exchange(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], chunks: list[bytes]
) -> Exchange:
    done = Exchange()
    pending = list(chunks) or [b""]

    async def receive() -> Message:
        if not pending:
            return {"type": "http.disconnect"}
        done.chunks_read += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        done.sent.append(message)

    await app(http_scope(method, path, headers), receive, send)
    return done


class Echo:
    """An app that reads the whole body and answers 200 with it; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
