"""What the upload routes (POST /imports/members, POST /imports/tenant) share: the caller
resolved and admitted to its request budget before a byte of the body is read (a refused
credential spends its address's budget, as on /graphql), and refusals answered as GraphQL
JSON with a typed code and the request id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from api.auth.principal import Principal, resolve
from api.http import errors as http_errors
from api.http.body_limits import check_declared_length
from api.http.errors import RequestRefused
from api.http.rate_limits import RequestLimits
from api.services import Services
from domain.errors import DomainError, ErrorCode, Unauthenticated

Serve = Callable[[Principal, str], Awaitable[Response]]  # (caller, request id)

_STATUS = {
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.TENANT_SUSPENDED: 403,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.LIMIT_REACHED: 409,
}


async def admitted(
    request: Request, body_limit: int, tenant_ref: str | None, serve: Serve
) -> Response:
    """`serve`'s answer for a caller within its budget, stamped with the budget's headers."""
    services: Services = request.app.state.services
    request_id = http_errors.request_id(request.scope)
    limits: RequestLimits = request.app.state.graphql.limits
    try:
        check_declared_length(request.scope, body_limit)
        principal = await resolve(services, request.headers.get("authorization"), tenant_ref)
    except DomainError as exc:
        admission = await limits.refused_route(request.scope)
        return admission.stamp(refusal(exc, request_id))
    except RequestRefused as refused:
        return refused.response(request_id)
    admission = await limits.admit_route(request.scope, principal)
    too_many = admission.refusal(request_id)
    if too_many is not None:
        return too_many
    return admission.stamp(await serve(principal, request_id))


def refusal(exc: DomainError, request_id: str) -> Response:
    status = 401 if isinstance(exc, Unauthenticated) else _STATUS.get(exc.code, 400)
    return http_errors.error_response(status, exc.code.value, exc.message, request_id)
