"""Failures of a request answered as GraphQL JSON: a typed code and the request id.

Every way a /graphql request can fail before (or instead of) running an operation ends
here: a body too large, a body that is not a JSON object, a method or operation the view
refuses, a database that cannot be reached, an unexpected exception. Each answer has the
GraphQL response shape without `data` (a request error, as the GraphQL-over-HTTP
specification says), the request id in `extensions.requestId` and in `X-Request-Id`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Scope

REQUEST_ID_KEY = "loyalty.request_id"

BAD_REQUEST = "BAD_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_FOUND = "NOT_FOUND"
UNAVAILABLE = "UNAVAILABLE"
INTERNAL = "INTERNAL"

UNAVAILABLE_MESSAGE = "The service is unavailable for a moment; retry later."

# strawberry's view refuses with these statuses (its HTTPException); the code says which.
_CODE_OF_STATUS = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: PAYLOAD_TOO_LARGE}


def request_id(scope: Scope) -> str:
    """The id of the request `scope` belongs to, made once (as random as uuid4().hex, a
    quarter of its cost) and kept in the scope so every layer answers with the same one."""
    known: str | None = scope.get(REQUEST_ID_KEY)
    if known is None:
        known = scope[REQUEST_ID_KEY] = os.urandom(16).hex()
    return known


def code_of_status(status: int) -> str:
    return _CODE_OF_STATUS.get(status, BAD_REQUEST)


class RequestRefused(Exception):
    """A request refused before any operation ran: answered with `status` and `code`."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self, request_id: str) -> Response:
        return error_response(self.status, self.code, self.message, request_id, self.headers)


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        orjson.dumps(error_body(code, message, request_id)),
        status_code=status,
        media_type="application/json",
        headers={**(headers or {}), "X-Request-Id": request_id},
    )


def unavailable(request_id: str, retry_after: int) -> Response:
    return error_response(
        503, UNAVAILABLE, UNAVAILABLE_MESSAGE, request_id, {"Retry-After": str(retry_after)}
    )


def all_unavailable(body: Mapping[str, Any]) -> bool:
    """Whether a GraphQL answer failed because the database could not be reached: every
    error is UNAVAILABLE, or there is no data and one of them is."""
    errors = body.get("errors")
    if not errors:
        return False
    codes = [_code(e) for e in errors]
    if all(c == UNAVAILABLE for c in codes):
        return True
    return body.get("data") is None and UNAVAILABLE in codes


def _code(error: object) -> object:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None
