"""Security headers on every HTTP response, errors included.

Pure ASGI, wrapped around the whole application (outside Starlette's own error handling),
so a response of any route and any status carries them. The API answers JSON, which no
browser should render, sniff, frame or let load anything; the one HTML page, GraphiQL, gets
a policy that lets exactly its own scripts and stylesheets load (api/http/graphiql_policy.py),
and the console's pages under /console one of 'self' only (api/http/console/page.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.console.page import CONSOLE_POLICY
from api.http.graphiql_policy import graphiql_policy

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Replaced whatever the application set; `server` is dropped (the HTTP server's own banner
# is turned off where it is configured, api/cli.py).
_REPLACED = {name for name, _ in _ALWAYS} | {b"content-security-policy", b"server"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._json = (*_ALWAYS, (b"content-security-policy", JSON_POLICY.encode()))
        self._html = (*_ALWAYS, (b"content-security-policy", graphiql_policy().encode()))
        self._console = (*_ALWAYS, (b"content-security-policy", CONSOLE_POLICY.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                console = scope["path"].startswith("/console")
                message["headers"] = self._hardened(message.get("headers", ()), console)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _hardened(
        self, headers: Iterable[tuple[bytes, bytes]], console: bool
    ) -> list[tuple[bytes, bytes]]:
        kept = []
        html = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-type":
                html = value[:9].lower() == b"text/html"
            if lowered not in _REPLACED:
                kept.append((name, value))
        if html:
            kept.extend(self._console if console else self._html)
        else:
            kept.extend(self._json)
        return kept
