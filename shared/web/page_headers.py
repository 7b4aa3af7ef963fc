"""Headers on everything a jemput service answers, pages first: a Content Security Policy
that lets a page load only its own files (no inline script or style, nothing from another
origin, never framed), no Referer (a page's URL may carry a tracking code in its
fragment, and the next site need not learn where a reader came from), no MIME sniffing.

One ASGI middleware, installed by `shared.web.app.service_app` for every service, outermost
(the shedder's and the breaker's refusals carry it too), so that every page (the
dashboard, the verifiers' workqueue, the applicants' status page, the officers' field
app) gets the same policy without each mount remembering it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Nothing inline, nothing from elsewhere; `connect-src` falls back to 'self' (the API is
# on the page's own origin). `form-action` and `base-uri` do not fall back to default-src.
PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# FastAPI's /docs and /redoc are generated pages that load Swagger UI from a CDN with an
# inline script: they keep working for developers, but may never be framed.
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else PAGE_POLICY
    return [
        (b"content-security-policy", policy.encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
    ]


class SecurityHeaders:
    """Adds `security_headers` to every HTTP response (replacing any the app set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(scope.get("path", ""))
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
