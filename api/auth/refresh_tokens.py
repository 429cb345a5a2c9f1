"""Refresh tokens of members' apps: `lp_rt_<tenant id>_<256 random bits>`.

The tenant's id is in the clear so that an app whose member token has expired can refresh
with no other credential: the token names where to look, its hash (keyed like API keys,
api/auth/keys.py) is what is looked up.
"""

from __future__ import annotations

import secrets
from uuid import UUID

from api.auth.keys import hash_key

PREFIX = "lp_rt_"
_TENANT_END = len(PREFIX) + 32


def new_refresh_token(tenant_id: UUID) -> str:
    return f"{PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def tenant_of(token: str) -> UUID | None:
    """The tenant a refresh token names, if it has the shape of one."""
    if not token.startswith(PREFIX) or token[_TENANT_END : _TENANT_END + 1] != "_":
        return None
    try:
        return UUID(hex=token[len(PREFIX) : _TENANT_END])
    except ValueError:
        return None


def hash_refresh_token(token: str, secret: bytes) -> bytes:
    return hash_key(token, secret)
