"""CORS for /graphql: browser storefronts call the API from the origins their tenant allows.

A preflight (OPTIONS with `Access-Control-Request-Method`) carries no credential and no
`X-Tenant`, so it cannot know the tenant: it is allowed for an origin that at least one
tenant allows (or the platform's own), for GET and POST and the request headers the API
reads (Authorization, Content-Type, X-Tenant), and refused (403, no CORS headers) for any
other origin, so a page elsewhere never gets to send its request at all. The request that
follows is where the tenant is known: its answer carries `Access-Control-Allow-Origin` only
when the tenant of its credential allows the origin (decided while the principal is
resolved, api/auth/principal.py, which also refuses a secret key or an operator session
from a page where it does not belong). No cookies are used, so credentials are never
"allowed": the API's credentials are bearer tokens the page sends itself.

Answers of /graphql vary by Origin, so all of them say so (`Vary: Origin`) for caches.
"""

from __future__ import annotations

import functools
import logging

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth.browser import SCOPE_KEY, BrowserCall
from api.http import errors as http_errors
from api.http.errors import request_id
from api.services import Services
from domain.errors import ErrorCode
from domain.origins import origin_of_url

log = logging.getLogger(__name__)

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Tenant"
# Headers a page may read from an answer: the request id to quote, and the rate limit.
EXPOSED_HEADERS = "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_VARY_ORIGIN = (b"vary", b"Origin")
# The code a database outage answers with everywhere (503).


class Cors:
    def __init__(self, app: ASGIApp, *, path: str = "/graphql") -> None:
        self.app = app
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self._path:
            await self.app(scope, receive, send)
            return
        origin = None
        for name, value in scope["headers"]:  # as Headers.get, without building one
            if name == b"origin":
                origin = value.decode("latin-1")
                break
        call = None
        if origin is not None:
            headers = Headers(scope=scope)
            services: Services = scope["app"].state.services
            call = BrowserCall(origin, own=own_origin(services, scope, headers, origin))
            if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
                await self._preflight(services, call, headers, scope, receive, send)
                return
            scope[SCOPE_KEY] = call

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message.setdefault("headers", [])
                if call is None and type(raw) is list:
                    for name, _ in raw:
                        if name == b"vary":
                            break
                    else:
                        raw.append(_VARY_ORIGIN)  # what add_vary_header adds to no Vary
                        await send(message)
                        return
                answer = MutableHeaders(scope=message)
                answer.add_vary_header("Origin")
                if call is not None and call.allowed:
                    answer["Access-Control-Allow-Origin"] = call.origin
                    answer["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self,
        services: Services,
        call: BrowserCall,
        headers: Headers,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        method = headers["access-control-request-method"].strip().upper()
        try:
            allowed = call.own or await services.origins.allowed_anywhere(call.origin)
        except Exception as exc:  # the database is unreachable: refuse, and say it is temporary
            # One line, not a traceback: during an outage every preflight lands here.
            log.warning("preflight: the allowed origins could not be read: %r", exc)
            retry = services.settings.unavailable_retry_seconds
            answer = http_errors.unavailable(request_id(scope), retry)
            answer.headers["Vary"] = _PREFLIGHT_VARY
            await answer(scope, receive, send)
            return
        if not allowed or method not in ("GET", "POST"):
            message = (
                "This origin may not call the API from a browser."
                if not allowed
                else "Only GET and POST are allowed."
            )
            answer = http_errors.error_response(
                403,
                ErrorCode.FORBIDDEN.value,
                message,
                request_id(scope),
                {"Vary": _PREFLIGHT_VARY},
            )
            await answer(scope, receive, send)
            return
        response = Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": call.origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(services.settings.cors_max_age),
                "Vary": _PREFLIGHT_VARY,
            },
        )
        await response(scope, receive, send)


def own_origin(services: Services, scope: Scope, headers: Headers, origin: str) -> bool:
    """The platform's public URL; in development also whatever host the page was served
    from (localhost and 127.0.0.1 are the same machine, not the same origin)."""
    if origin == _public_origin(services.settings.public_url):
        return True
    if services.settings.production:
        return False
    host = headers.get("host")
    return host is not None and origin == origin_of_url(f"{scope['scheme']}://{host}")


@functools.cache
def _public_origin(public_url: str) -> str | None:
    return origin_of_url(public_url)
