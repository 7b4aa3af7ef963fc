"""What every jemput HTTP API shares: API-key roles, error bodies without personal data,
a body-size limit, health and Prometheus metrics."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.security import APIKeyHeader
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from shared import tracing
from shared.api_errors import FieldError, InvalidRequest
from shared.api_keys import ApiKey, Caller, RevokedKeyError, Role, key_digest
from shared.body_guard import BodyGuard
from shared.eventstore.errors import ConcurrencyError, store_unavailable
from shared.page_headers import SecurityHeaders
from shared.settings import ServiceSettings
from shared.store_breaker import StoreBreaker, probe_while_serving

__all__ = [  # ApiKey, Caller, Role, … live in api_keys.py (no FastAPI); kept here too
    "FASTAPI_OFF",
    "ApiKey",
    "ApiKeys",
    "Caller",
    "RevokedKeyError",
    "Role",
    "field_errors",
    "install_common",
    "invalid_parameter",
    "key_digest",
    "requires",
]

log = logging.getLogger(__name__)

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
IN_FLIGHT = Gauge("jemput_http_in_flight", "Requests being handled now", ["service"])
UNLIMITED_PATHS = ("/health/", "/metrics")  # never shed: probes must see an overloaded process


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


def install_common(
    app: FastAPI,
    service: str,
    api_keys: ApiKeys,
    max_body_bytes: int,
    max_in_flight: int = 0,
    retry_after: int = 2,
) -> None:
    """`max_in_flight` > 0 sheds what comes beyond it (503, `Retry-After: retry_after`).
    The store probe and where /metrics is served come from the app's settings
    (`app.state.settings`, which every bootstrap sets first)."""
    settings: ServiceSettings | None = getattr(app.state, "settings", None)
    app.state.api_keys = api_keys
    in_flight = IN_FLIGHT.labels(service)
    busy = [0]  # requests in this process now (one event loop: no lock needed)
    # Once the store is known to be away (a request found it unreachable, or the probe's
    # ping went unanswered), requests are refused at once rather than each waiting out the
    # store's timeouts: callers hear "not now" in milliseconds, and the store is not piled on.
    breaker = app.state.store_breaker = StoreBreaker(service)
    ping = getattr(app.state, "readiness", {}).get("mongo")  # the readiness check's ping
    if settings is not None and ping is not None and settings.store_probe_seconds > 0:
        probe_while_serving(
            app,
            breaker,
            ping,
            service,
            settings.store_probe_seconds,
            settings.store_probe_timeout_seconds,
        )
    app.add_middleware(BodyGuard, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders)  # on every answer, the pages' above all

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> Response:
        # FastAPI's own answer, but a 405's `Allow` names every method of the path: Starlette
        # names only those of the first route that matched it (GET and POST /v1/devices are
        # two routes).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request))
        return await http_exception_handler(
            request, HTTPException(exc.status_code, exc.detail, headers)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = InvalidRequest(errors=[FieldError(**e) for e in field_errors(exc)])
        return JSONResponse(body.model_dump(), 422)

    @app.middleware("http")
    async def limit_and_count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        limited = not request.url.path.startswith(UNLIMITED_PATHS)
        if limited and max_in_flight and busy[0] >= max_in_flight:
            # Shed before reading the body: an overloaded process spends nothing more on it.
            HTTP_REQUESTS.labels(service, "shed", 503).inc()
            return unavailable(service, "overload", retry_after)
        if limited and breaker.is_open:
            HTTP_REQUESTS.labels(service, "store_down", 503).inc()
            return unavailable(service, "store_down", retry_after)
        busy[0] += limited
        in_flight.set(busy[0])
        try:
            if not limited:  # probes and scrapes: no trace of their own
                return await _handle(request, call_next)
            with tracing.http_span(service, request.method, request.headers) as span:
                response = await _handle(request, call_next)
                route = getattr(request.scope.get("route"), "path", "unmatched")
                tracing.finish(span, service, request.method, route, response.status_code)
                return response
        finally:
            busy[0] -= limited
            in_flight.set(busy[0])

    async def _handle(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            response: Response = JSONResponse(
                {"detail": f"body larger than {max_body_bytes} bytes"}, 413
            )
        elif length is None and request.method in ("POST", "PUT", "PATCH"):
            response = JSONResponse({"detail": "a Content-Length header is required"}, 411)
        else:
            try:
                response = await call_next(request)
            except Exception as exc:  # the type only in logs (messages may hold data)
                if store_unavailable(exc):  # the caller's retry will do: not a 500
                    log.warning("store unavailable", extra={"error_type": type(exc).__name__})
                    breaker.open_for(retry_after)
                    response = unavailable(service, "store_down", retry_after)
                elif isinstance(exc, ConcurrencyError):  # many writers on one stream at once
                    log.warning("contention", extra={"error_type": type(exc).__name__})
                    response = unavailable(service, "overload", retry_after)
                else:  # a clean, counted 500
                    log.error("unhandled error", extra={"error_type": type(exc).__name__})
                    response = JSONResponse({"detail": "internal error"}, 500)
        route = request.scope.get("route")
        HTTP_REQUESTS.labels(
            service, getattr(route, "path", "unmatched"), response.status_code
        ).inc()
        return response

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready(request: Request) -> JSONResponse:
        checks: dict[str, Callable[[], Awaitable[Any]]] = request.app.state.readiness
        failed = []
        for name, check in checks.items():
            try:
                await check()
            except Exception:
                failed.append(name)
        # What the service can do without (intake takes requests while Kafka is away: the
        # log is the truth and the relay catches up) is reported, and leaves it ready.
        degraded = []
        for name, check in getattr(request.app.state, "reported", {}).items():
            try:
                await check()
            except Exception:
                degraded.append(name)
        body = {"status": "ok" if not failed else "unavailable", "failed": failed}
        if degraded:
            body["degraded"] = degraded
        return JSONResponse(body, 200 if not failed else 503)

    if settings is None or settings.metrics_port is None:  # else on its own port (serve)

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
