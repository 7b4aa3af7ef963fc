"""One reading of a JSON body for every door: HTTP (shared/web/body_guard.py) and the
intake topic.

What a body must be before anything looks at its fields, so that the same bytes mean the
same thing to every reader and no body can make a reader work without end:
- no larger than the limit;
- UTF-8, strictly, without a byte-order mark (UTF-16 and BOM bodies are refused);
- JSON, without NaN or Infinity (not JSON; MongoDB-wire stores differ on them);
- no object with a key twice: parsers disagree on which one wins, and the one that was
  checked need not be the one that is stored;
- nested at most MAX_DEPTH deep (a request is 4 deep; an array 100,000 deep made the
  parser recurse until RecursionError, which is not a ValueError).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 16
BOM = b"\xef\xbb\xbf"


class BodyError(ValueError):
    """A body that cannot be taken: `status` for HTTP, `error` a stable kind, `detail`
    words that never quote the body."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail

    def as_field_error(self) -> dict[str, str]:
        return {"field": "body", "error": self.error, "message": self.detail}


class MalformedJsonError(BodyError):
    def __init__(self) -> None:
        super().__init__(422, "json_invalid", "not JSON")


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKeyError
    return dict(pairs)


class _ConstantError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _ConstantError


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` deep (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json_body(body: bytes, max_bytes: int) -> Any:
    """The JSON value of `body`, or BodyError (MalformedJsonError for bytes that are not
    JSON at all) saying what is wrong with it."""
    if len(body) > max_bytes:
        raise BodyError(413, "too_large", f"body larger than {max_bytes} bytes")
    if body.startswith(BOM):
        raise BodyError(415, "encoding", "no byte-order mark: plain UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(415, "encoding", "the body is not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKeyError:
        raise BodyError(422, "duplicate_key", "a key appears twice in one object") from None
    except _ConstantError:
        raise BodyError(422, "json_invalid", "NaN and Infinity are not JSON numbers") from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise MalformedJsonError from None
    if _deeper_than(value, MAX_DEPTH):
        raise _too_deep()
    return value


def _too_deep() -> BodyError:
    return BodyError(422, "too_deep", f"nested deeper than {MAX_DEPTH} levels")
