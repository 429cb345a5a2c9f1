"""Security headers on every HTTP response, errors included.

Pure ASGI, wrapped around the whole application (outside Starlette's own error handling),
so a response of any route and any status carries them. The API answers JSON, which no
browser should render, sniff, frame or let load anything; the one HTML page, GraphiQL, gets
a policy that lets exactly its own scripts and stylesheets load (api/graphiql_policy.py).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphiql_policy import graphiql_policy

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._html_policy = graphiql_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers[name] = value
                html = headers.get("content-type", "").lower().startswith("text/html")
                headers["Content-Security-Policy"] = self._html_policy if html else JSON_POLICY
                if "server" in headers:
                    del headers["server"]  # the server's own banner is off (api/cli.py)
            await send(message)

        await self.app(scope, receive, send_with_headers)
