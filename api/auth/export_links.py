"""Short-lived signed links to download a tenant's archive (exportTenant).

A browser follows a download link without an Authorization header, so the link carries its
own proof: a token signed with a key of its own (derived from the server's secret), naming
the tenant, the owner who asked and the session they asked from, valid for minutes. The
download checks the session is still live and the operator still an owner of the tenant,
so logging out or losing the role ends the link at once.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from api.auth.tokens import ISSUER
from api.services import Services

AUDIENCE = "loyalty-tenant-export"
LIFETIME = timedelta(minutes=5)
PATH = "/exports/tenant/"


@dataclass(frozen=True, slots=True)
class ExportGrant:
    tenant_id: UUID
    operator_id: UUID
    session_id: UUID


def _key(services: Services) -> bytes:
    return hmac.new(
        services.settings.resolved_secret_key, b"tenant-export-link", hashlib.sha256
    ).digest()


def issue_export_link(services: Services, grant: ExportGrant) -> tuple[str, datetime]:
    expires = datetime.now(UTC) + LIFETIME  # checked by jwt against the real time
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(grant.operator_id),
        "sid": str(grant.session_id),
        "tid": str(grant.tenant_id),
        "exp": int(expires.timestamp()),
    }
    token = jwt.encode(claims, _key(services), algorithm="HS256")
    url = services.settings.public_url.rstrip("/") + PATH + token
    return url, expires


def verify_export_link(services: Services, token: str) -> ExportGrant | None:
    try:
        claims = jwt.decode(
            token,
            _key(services),
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "sid", "tid"]},
        )
        return ExportGrant(UUID(claims["tid"]), UUID(claims["sub"]), UUID(claims["sid"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
