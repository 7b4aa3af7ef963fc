"""The one reading of a JSON body that HTTP and the intake topic share
(shared/formats/json_body.py)."""

from __future__ import annotations

import json

import pytest

from shared.formats.json_body import MAX_DEPTH, BodyError, MalformedJsonError, parse_json_body

LIMIT = 256 * 1024


def refusal(body: bytes) -> tuple[int, str]:
    with pytest.raises(BodyError) as caught:
        parse_json_body(body, LIMIT)
    return caught.value.status, caught.value.error


def test_a_plain_body_is_its_value() -> None:
    assert parse_json_body('{"a": [1, {"b": "ü"}]}'.encode(), LIMIT) == {"a": [1, {"b": "ü"}]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\xef\xbb\xbf{}", (415, "encoding")),
        ('{"a": 1}'.encode("utf-16"), (415, "encoding")),  # with its BOM
        ('{"a": 1}'.encode("utf-16-le"), (422, "json_invalid")),  # NULs: not JSON
        (b'{"a": "\xff"}', (415, "encoding")),
        (b'{"nik": "3174011503900001", "nik": "3273010202950003"}', (422, "duplicate_key")),
        (b'{"a": {"b": 1, "b": 2}}', (422, "duplicate_key")),
        (b'{"a": NaN}', (422, "json_invalid")),
        (b"[Infinity]", (422, "json_invalid")),
        (b"[" * 100_000 + b"]" * 100_000, (422, "too_deep")),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), (422, "too_deep")),
        (b'{"a": ' * 500 + b"1" + b"}" * 500, (422, "too_deep")),
        (b"{" + b" " * LIMIT + b"}", (413, "too_large")),
        (b"{broken", (422, "json_invalid")),
    ],
)
def test_what_is_refused(body: bytes, expected: tuple[int, str]) -> None:
    assert refusal(body) == expected


def test_nesting_up_to_the_limit_is_taken() -> None:
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json_body(body, LIMIT) is not None


def test_malformed_json_is_told_apart_and_errors_never_quote_the_body() -> None:
    with pytest.raises(MalformedJsonError):
        parse_json_body(b'{"nik": 3174011503900001', LIMIT)
    with pytest.raises(BodyError) as caught:
        parse_json_body(b'{"nik": "3174011503900001", "nik": "x"}', LIMIT)
    assert "3174011503900001" not in json.dumps(caught.value.as_field_error())
    assert caught.value.as_field_error()["field"] == "body"
