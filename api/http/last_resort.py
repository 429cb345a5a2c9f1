"""The application's outermost layer: whatever escapes is still answered as GraphQL JSON.

Starlette answers an exception nobody handled with a plain-text 500, and the router's own
refusals (an unknown path, a method a route does not take) in plain text too. Here both
become the contract's JSON error with the request id: INTERNAL for the unexpected (logged
with that id), the status's code for the router's refusals. The request id is made here,
first, so that every layer below answers and logs with the same one.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import INTERNAL, code_of_status, error_response, request_id

log = logging.getLogger("loyalty.errors")

INTERNAL_MESSAGE = "Unexpected error."


async def internal_error(request: Request, exc: Exception) -> Response:
    """Starlette's handler of last resort (its ServerErrorMiddleware calls it)."""
    rid = request_id(request.scope)
    log.error("unexpected error in request %s", rid, exc_info=exc)
    return error_response(500, INTERNAL, INTERNAL_MESSAGE, rid)


async def http_error(request: Request, exc: Exception) -> Response:
    """The router's refusals (404, 405), in the contract's shape."""
    assert isinstance(exc, HTTPException)
    rid = request_id(request.scope)
    return error_response(
        exc.status_code, code_of_status(exc.status_code), exc.detail, rid, exc.headers
    )


class LastResort:
    """Answers JSON 500 for an exception raised before any response started; an exception
    after that (Starlette's handler above has answered and logged it, or the answer was
    under way) is not raised on to the server, which would only log it again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                return
            log.error("unexpected error in request %s", rid, exc_info=exc)
            await error_response(500, INTERNAL, INTERNAL_MESSAGE, rid)(scope, receive, send)


class ContractStarlette(Starlette):
    """Starlette whose every failure is answered as GraphQL JSON with the request id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["exception_handlers"] = {
            Exception: internal_error,
            HTTPException: http_error,
            **(kwargs.get("exception_handlers") or {}),
        }
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return LastResort(super().build_middleware_stack())
