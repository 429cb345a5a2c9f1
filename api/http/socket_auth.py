"""Who is on a graphql-transport-ws socket: the credential in `connection_init`.

A browser or a mobile app cannot set headers on a WebSocket, so the protocol's
`connection_init` payload carries them: `{"Authorization": "Bearer <token>"}` (and
`X-Tenant` for operators), or `{"token": "<token>"}`. A credential sent with the upgrade
request's headers is used when the payload names none. A refused credential closes the
socket with the protocol's 4403; a member token closes it the same way when it expires, so
an app learns to renew it rather than watch a status it may no longer read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime

import jwt
from strawberry.exceptions import ConnectionRejectionError

from api.auth.principal import Kind, Principal, resolve
from api.context import Context
from api.services import Services
from domain.errors import DomainError

EXPIRED = 4403


def credential_of(params: Mapping[str, object]) -> tuple[str | None, str | None]:
    """(Authorization, X-Tenant) as the payload names them, whatever their case."""
    lowered = {k.lower(): v for k, v in params.items() if isinstance(v, str)}
    authorization = lowered.get("authorization")
    if authorization is None and "token" in lowered:
        authorization = f"Bearer {lowered['token']}"
    return authorization, lowered.get("x-tenant")


async def sign_in(services: Services, context: Context) -> None:
    """Sets the socket's caller from `connection_init`; raises ConnectionRejectionError
    (the socket closes with 4403) when the credential is refused or missing."""
    authorization, tenant = credential_of(context.connection_params or {})
    if authorization is not None:
        try:
            context.principal = await resolve(services, authorization, tenant)
        except DomainError as exc:
            refusal: dict[str, object] = {"code": exc.code.value, "message": exc.message}
            raise ConnectionRejectionError(refusal) from None
    if context.principal.kind is Kind.ANONYMOUS:
        raise ConnectionRejectionError(
            {"code": "UNAUTHENTICATED", "message": "Send a credential in connection_init."}
        )
    expires = _expiry(context.principal, authorization)
    if expires is not None:
        _close_at(context, expires)


def _expiry(principal: Principal, authorization: str | None) -> datetime | None:
    """When a member token stops being valid (it was verified by `resolve`)."""
    if principal.kind is not Kind.MEMBER or authorization is None:
        return None
    token = authorization.partition(" ")[2]
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(int(claims["exp"]), UTC)


def _close_at(context: Context, expires: datetime) -> None:
    socket = context.response
    delay = max(0.0, (expires - datetime.now(UTC)).total_seconds())

    async def close() -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(RuntimeError, OSError):  # already closed
            await socket.close(code=EXPIRED, reason="The member token expired.")  # type: ignore[attr-defined]

    context.closing = asyncio.get_running_loop().create_task(close())
