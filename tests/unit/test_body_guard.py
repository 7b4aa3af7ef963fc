"""The body guard (shared/web/body_guard.py) on its own, with framing as given: what the
headers alone refuse, and a chunked body (no Content-Length) counted as it arrives. The
same against a real HTTP server: tests/integration/test_http_framing.py."""

from __future__ import annotations

import json

import pytest

from shared.web.body_guard import BodyGuard
from tests.unit.asgi_driver import Echo, exchange

LIMIT = 1000
JSON = {"content-type": "application/json"}
CHUNKED = {**JSON, "transfer-encoding": "chunked"}


def guarded() -> tuple[BodyGuard, Echo]:
    inner = Echo()
    return BodyGuard(inner, max_bytes=LIMIT), inner


async def test_a_chunked_body_over_the_limit_is_413_and_reaches_no_handler() -> None:
    guard, inner = guarded()
    chunks = [b'{"a": "' + b"x" * 400] * 3 + [b'"}']  # 1200 bytes, no length given
    answer = await exchange(guard, "POST", "/v1/requests", CHUNKED, chunks)
    assert answer.status == 413
    assert json.loads(answer.body) == {"detail": f"body larger than {LIMIT} bytes"}
    assert inner.calls == 0
    assert answer.chunks_read == 3  # stopped reading once past the limit


async def test_a_chunked_body_within_the_limit_reaches_the_handler_whole() -> None:
    guard, inner = guarded()
    answer = await exchange(guard, "POST", "/v1/requests", CHUNKED, [b'{"a": ', b'"b"}'])
    assert answer.status == 200
    assert answer.body == b'{"a": "b"}'
    assert inner.calls == 1


async def test_a_declared_length_over_the_limit_is_413_before_a_byte_is_read() -> None:
    guard, inner = guarded()
    headers = {**JSON, "content-length": str(LIMIT + 1)}
    answer = await exchange(guard, "POST", "/v1/requests", headers, [b"{}"])
    assert answer.status == 413
    assert answer.chunks_read == 0
    assert inner.calls == 0


async def test_a_length_that_lies_is_caught_on_the_bytes() -> None:
    guard, inner = guarded()
    headers = {**JSON, "content-length": "10"}
    answer = await exchange(guard, "POST", "/v1/requests", headers, [b"x" * (LIMIT + 1)])
    assert answer.status == 413
    assert inner.calls == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({**JSON, "content-length": "2", "transfer-encoding": "chunked"}, 400),
        ({**JSON, "content-length": "+2"}, 400),
        (JSON, 411),  # neither a length nor chunks: the body's end is unknowable
    ],
    ids=["length-and-chunked", "length-not-a-number", "no-framing"],
)
async def test_framing_the_headers_alone_refuse(headers: dict[str, str], status: int) -> None:
    guard, inner = guarded()
    answer = await exchange(guard, "POST", "/v1/requests", headers, [b"{}"])
    assert answer.status == status
    assert answer.chunks_read == 0
    assert inner.calls == 0


async def test_what_has_no_body_passes_untouched() -> None:
    guard, inner = guarded()
    answer = await exchange(guard, "GET", "/v1/status/JB-1", {}, [])
    assert answer.status == 200
    assert inner.calls == 1


async def test_a_chunked_body_is_checked_like_any_other() -> None:
    guard, inner = guarded()
    answer = await exchange(guard, "POST", "/x", CHUNKED, [b'{"a": 1, ', b'"a": 2}'])
    assert answer.status == 422  # a key twice, found across the chunks
    assert inner.calls == 0
