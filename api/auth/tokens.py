"""Signed tokens: member tokens (per-tenant key) and operator sessions (server key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from domain.member_tokens import MAX_LIFETIME

ISSUER = "loyalty"
MEMBER_AUDIENCE = "loyalty:member"
OPERATOR_AUDIENCE = "loyalty:operator"


def issue_member_token(
    tenant_id: UUID, member_id: UUID, signing_key: bytes, lifetime: timedelta, now: datetime
) -> tuple[str, datetime]:
    expires = now + min(lifetime, MAX_LIFETIME)
    claims = {
        "iss": ISSUER,
        "aud": MEMBER_AUDIENCE,
        "sub": str(member_id),
        "tid": str(tenant_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, signing_key, algorithm="HS256"), expires


def unverified_tenant(token: str) -> UUID | None:
    """The tenant a member token claims, read only to find the key that verifies it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return UUID(claims["tid"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


def verify_member_token_expiry(
    token: str, tenant_id: UUID, signing_key: bytes
) -> tuple[UUID, int] | None:
    """The member and the expiry (Unix seconds) of a valid token of this tenant, else None."""
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=["HS256"],
            audience=MEMBER_AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "tid"]},
        )
        if claims["tid"] != str(tenant_id):
            return None
        return UUID(claims["sub"]), int(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def issue_operator_session(
    operator_id: UUID,
    signing_key: bytes,
    expires: datetime,
    session_id: UUID,
) -> str:
    """The token of a session row (persistence/operator_sessions.py): the row, checked on
    every request, decides whether the session is still live."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": OPERATOR_AUDIENCE,
        "sub": str(operator_id),
        "sid": str(session_id),
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, signing_key, algorithm="HS256")


def verify_operator_session(token: str, signing_key: bytes) -> tuple[UUID, UUID] | None:
    """The operator and the session of a validly signed, unexpired session token."""
    try:
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=["HS256"],
            audience=OPERATOR_AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "sid"]},
        )
        return UUID(claims["sub"]), UUID(claims["sid"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
