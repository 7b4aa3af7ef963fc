"""The error answers every jemput HTTP API gives, as models, so that each operation's
OpenAPI document says what it really answers (checked by schemathesis in the e2e tier).

Two bodies only: `Problem` (`{"detail": "..."}`) for every refusal, and `InvalidRequest`
for 422, which names the fields and the kind of error but never the value sent (it may be
a NIK or a name)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """A refusal in words: what is wrong, never the input that was sent."""

    detail: str = Field(examples=["no request with this tracking code"])


class FieldError(BaseModel):
    field: str = Field(
        description="Where: a dotted path in the body (`applicant.nik`), `query.<name>`, "
        "`path.<name>`, or `body` for the body as a whole",
        examples=["applicant.nik"],
    )
    error: str = Field(description="The kind of error", examples=["string_pattern_mismatch"])
    message: str = Field(examples=["String should match pattern '^[0-9]{16}$'"])


class InvalidRequest(BaseModel):
    """A request that is well-formed HTTP but not valid input; nothing was changed."""

    detail: Literal["invalid request"] = "invalid request"
    errors: list[FieldError] = Field(min_length=1)


class Unavailable(BaseModel):
    """Not now: too many requests at once, or the store is unreachable. Nothing was
    changed; send the same request again after `Retry-After` seconds."""

    detail: str
    reason: Literal["overload", "store_down"]


class BrokenChain(BaseModel):
    """An applicant's stored events are not the chain that was sealed (tampering, or a
    damaged store): what verification found; nothing was read or changed. The stored
    documents can be read as they are (`/v1/audit/streams/{stream_id}/documents`)."""

    detail: str
    stream_id: str
    version: int = Field(description="Where the first break was found")
    kind: str = Field(
        description="missing, inserted, reordered, edited, unlinked, misplaced, malformed "
        "or unknown_key (as `/v1/audit/verify` names them)",
        examples=["edited"],
    )


# A read of an applicant's stream, where its chain may be found broken.
BROKEN: dict[int | str, dict[str, Any]] = {
    409: {"model": BrokenChain, "description": BrokenChain.__doc__ or ""}
}

# What each status means wherever it is answered; an operation may say more.
MEANINGS: dict[int, tuple[type[BaseModel], str]] = {
    400: (Problem, "Malformed HTTP framing (e.g. both Content-Length and Transfer-Encoding)"),
    401: (Problem, "Missing or unknown API key (header `X-API-Key`)"),
    403: (Problem, "The caller's role may not do this"),
    404: (Problem, "Not found"),
    409: (Problem, "Conflicts with what is recorded; nothing was changed"),
    411: (Problem, "A body with neither Content-Length nor `Transfer-Encoding: chunked`"),
    413: (Problem, "The body is larger than the service's limit"),
    415: (Problem, "The body is not JSON in UTF-8 (`Content-Type: application/json`)"),
    429: (Problem, "Too many lookups from this client: wait `Retry-After` seconds"),
    422: (InvalidRequest, "Invalid input: which field, and why; nothing was changed"),
    503: (Unavailable, "Overloaded, or the store is unreachable: retry after `Retry-After`"),
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}

# Every operation validates its parameters and may be shed or find the store down.
ANY = (422, 503)
# ... and most need a key of the right role.
GUARDED = (401, 403, *ANY)
# What the body guard answers for any operation with a body (shared/web/body_guard.py).
WITH_BODY = (400, 411, 413, 415)


def errors(*statuses: int, **says: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router: each status with its body model and meaning.
    `says` gives an operation's own meaning, keyed `e404="no review with this code"`."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model, meaning = MEANINGS[status]
        documented[status] = {"model": model, "description": says.get(f"e{status}", meaning)}
        if status in (429, 503):
            documented[status]["headers"] = RETRY_AFTER
    return documented
