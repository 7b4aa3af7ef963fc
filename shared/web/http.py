"""What every jemput HTTP API shares: API-key roles, error bodies without personal data,
the 503 answer and the request counters. The app around them (health, metrics, the
middleware that sheds, guards and answers failures) is `shared.web.app.service_app`."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.security import APIKeyHeader
from fastapi.telemetry import TelemetryConfig
from prometheus_client import Counter
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from shared.web.api_keys import ApiKey, Caller, RevokedKeyError, Role, key_digest

__all__ = [  # ApiKey, Caller, Role, … live in api_keys.py (no FastAPI); kept here too
    "FASTAPI_OFF",
    "ApiKey",
    "ApiKeys",
    "Caller",
    "RevokedKeyError",
    "Role",
    "field_errors",
    "invalid_parameter",
    "key_digest",
    "requires",
    "unavailable",
]

# FastAPI traces by itself once a tracer provider is set, with URLs and query strings
# (tracking codes, case references) and exception messages (they may hold data): every
# jemput app turns that off (`FastAPI(telemetry=FASTAPI_OFF)`) and names its own spans.
FASTAPI_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}

HTTP_REQUESTS = Counter(
    "jemput_http_requests_total",
    "HTTP requests by route and status",
    ["service", "route", "status"],
)
UNAVAILABLE = Counter(
    "jemput_http_unavailable_total",
    "Requests answered 503 with Retry-After, by why: overload (shed) or store_down",
    ["service", "reason"],
)


# Keys beyond the settings' static ones (intake's device keys), looked up by the key's
# digest on every request: revocation holds at once, on every instance. None: unknown.
KeyLookup = Callable[[str], Awaitable[Caller | None]]


class ApiKeys:
    def __init__(self, keys: Mapping[str, ApiKey], lookup: KeyLookup | None = None) -> None:
        # A static key's name must not look like a scope jemput gives (`device:…`,
        # `kafka:…`): request ids are scoped by caller name (shared/domain/request_ids.py).
        if any(":" in name for name in keys):
            raise ValueError("API key names must not contain ':' (reserved for device keys)")
        self._by_digest = {k.sha256: Caller(name, k.role) for name, k in keys.items()}
        self._lookup = lookup

    def caller(self, presented: str | None) -> Caller | None:
        """A static key's caller (from the settings), or None."""
        if not presented:
            return None
        digest = key_digest(presented)
        for known, caller in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return caller
        return None

    async def resolve(self, presented: str | None) -> Caller | None:
        """The caller of a static key, else of a looked-up one (RevokedKeyError), or None."""
        caller = self.caller(presented)
        if caller is None and presented and self._lookup is not None:
            return await self._lookup(key_digest(presented))
        return caller


api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def requires(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, if its key is known (else 401) and its role fits (else 403)."""

    async def check(
        request: Request, key: Annotated[str | None, Depends(api_key_header)]
    ) -> Caller:
        keys: ApiKeys = request.app.state.api_keys
        try:
            caller = await keys.resolve(key)
        except RevokedKeyError:
            raise HTTPException(401, "device key revoked") from None
        if caller is None:
            raise HTTPException(401, "missing or unknown API key")
        if caller.role not in roles:
            raise HTTPException(403, f"role {caller.role} may not do this")
        return caller

    return check


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route takes at this request's path; where a route names the path
    itself (`/v1/devices/me`), only those that do, not a pattern that also matches it
    (`/v1/devices/{device_id}`: `me` is not a device id)."""
    routes = iter_route_contexts(app.routes)  # what the OpenAPI document is made of
    matching = [r for r in routes if r.path and compile_path(r.path)[0].match(request.url.path)]
    literal = [route for route in matching if "{" not in (route.path or "{")]
    return sorted({method for route in literal or matching for method in route.methods or ()})


def invalid_parameter(name: str, message: str) -> RequestValidationError:
    """A 422 like pydantic's own, for a check a parameter's type cannot express."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": message}])


def field_errors(error: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    """Pydantic's errors without the offending input: it may be a NIK or a name, in the
    message (a union tag is quoted back) or in the path (an unknown key is its text)."""
    return [
        {
            "field": ".".join(_safe_part(e, p) for p in e["loc"] if p != "body") or "body",
            "error": e["type"],
            "message": _scrubbed(e),
        }
        for e in error.errors()
    ]


SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z_]{0,40}")


def _safe_part(e: Any, part: object) -> str:
    if e["type"] == "extra_forbidden" and part is e["loc"][-1]:
        return str(part) if SAFE_NAME.fullmatch(str(part)) else "(unknown field)"
    return str(part)


def _scrubbed(e: Any) -> str:
    if e["type"] == "union_tag_invalid":  # pydantic quotes the tag it was given
        tags = re.findall(r"'([a-z_]+)'", str(e.get("ctx", {}).get("expected_tags", "")))
        return f"unknown kind: expected one of {', '.join(tags)}"
    message = str(e["msg"])
    given = e.get("input")
    if isinstance(given, str | int | float) and not isinstance(given, bool):
        text = str(given)
        if len(text) >= 4 and text in message:  # shorter would mangle the message
            message = message.replace(text, "…")
    return message


def unavailable(service: str, reason: str, retry_after: int) -> JSONResponse:
    UNAVAILABLE.labels(service, reason).inc()
    detail = {
        "overload": "too many requests at once: try again shortly",
        "store_down": "the store is unavailable: try again shortly",
    }[reason]
    return JSONResponse(
        {"detail": detail, "reason": reason}, 503, headers={"Retry-After": str(retry_after)}
    )
