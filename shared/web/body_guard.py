"""What a request body must be before any handler sees it.

An ASGI middleware before every route, so that what it refuses reaches no handler and
writes nothing. It sits inside the load shedder and the store breaker (shared/web/app.py),
which refuse before any body is read. What it checks, on a POST, PUT or PATCH:
- framing that disagrees with itself (Content-Length with Transfer-Encoding: how request
  smuggling starts) or a Content-Length that is not a number is 400; a body with no framing
  at all (neither header) is 411;
- a declared Content-Length over the limit is 413 before a byte is read; and a body larger
  than the limit is 413, counted on the bytes that arrive, whatever the headers say (a
  Content-Length can lie; a chunked body, `Transfer-Encoding: chunked`, has none);
- a body that is not `application/json` is 415: no `+json` variants, no other charsets;
- then the body is read as every door reads one (shared/formats/json_body.py, which the intake
  topic uses too): not UTF-8 or with a byte-order mark is 415; a key twice in one object,
  NaN, or nesting deeper than its limit is 422.
Malformed JSON passes through to the framework, which names it as such.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.formats.json_body import BodyError, MalformedJsonError, parse_json_body

WITH_BODY = {"POST", "PUT", "PATCH"}


def _json_media_type(value: str) -> bool:
    media, _, params = value.partition(";")
    if media.strip().lower() != "application/json":
        return False
    for param in filter(None, (p.strip() for p in params.split(";"))):
        name, _, given = param.partition("=")
        if name.strip().lower() != "charset" or given.strip().strip('"').lower() != "utf-8":
            return False
    return True


def _refusal(status: int, detail: str, error: str | None = None) -> JSONResponse:
    if error is None:
        return JSONResponse({"detail": detail}, status)
    body = {
        "detail": "invalid request",
        "errors": [{"field": "body", "error": error, "message": detail}],
    }
    return JSONResponse(body, status)


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        refusal = self._framing(headers.get(b"content-length"), b"transfer-encoding" in headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                too_large = _refusal(413, f"body larger than {self.max_bytes} bytes")
                await too_large(scope, receive, send)
                return
        refusal = self._check(headers.get(b"content-type", b"").decode("latin-1"), body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _framing(self, length: bytes | None, chunked: bool) -> JSONResponse | None:
        """What the headers alone refuse; a chunked body is counted as it arrives."""
        if length is None:
            return None if chunked else _refusal(411, "send Content-Length or a chunked body")
        if chunked:
            return _refusal(400, "Content-Length with Transfer-Encoding")
        if not length.isdigit():
            return _refusal(400, "Content-Length is not a number")
        if int(length) > self.max_bytes:
            return _refusal(413, f"body larger than {self.max_bytes} bytes")
        return None

    def _check(self, content_type: str, body: bytes) -> JSONResponse | None:
        if not body:
            return None
        if not _json_media_type(content_type):
            return _refusal(415, "send application/json (UTF-8)")
        try:
            parse_json_body(body, self.max_bytes)  # the intake topic reads with it too
        except MalformedJsonError:
            return None  # the framework says so, with where it broke
        except BodyError as exc:
            return _refusal(exc.status, exc.detail, exc.error if exc.status != 413 else None)
        return None
