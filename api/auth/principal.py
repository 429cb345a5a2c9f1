"""Who is calling, for which tenant: resolved once per request from its headers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from api.auth.browser import BrowserCall
from api.auth.keys import hash_key, kind_of
from api.auth.tokens import (
    unverified_tenant,
    verify_member_token_expiry,
    verify_operator_session,
)
from api.services import Services
from domain.errors import Forbidden, Unauthenticated
from domain.roles import Role
from domain.tenant_lifecycle import refuse_inactive
from tenants.registry import Tenant


class Kind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    SECRET_KEY = "SECRET_KEY"
    PUBLISHABLE_KEY = "PUBLISHABLE_KEY"
    MEMBER = "MEMBER"
    OPERATOR = "OPERATOR"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Kind
    tenant: Tenant | None = None
    member_id: UUID | None = None
    operator_id: UUID | None = None
    # An operator's role: on the tenant named, else in its agency.
    role: Role | None = None
    session_id: UUID | None = None
    agency_id: UUID | None = None
    agency_role: Role | None = None  # an operator's role in its agency
    api_key_id: UUID | None = None
    api_key_prefix: str | None = None

    @property
    def privileged(self) -> bool:
        """May introspect the schema and see internal fields."""
        return self.kind in (Kind.SECRET_KEY, Kind.OPERATOR)

    @property
    def actor(self) -> str:
        """Who made a change, as recorded with it (program versions; ledger entries name their
        maker as domain/entry_actors.py writes it)."""
        if self.kind is Kind.OPERATOR:
            return f"operator:{self.operator_id}"
        return self.kind.value.lower()


ANONYMOUS = Principal(Kind.ANONYMOUS)


def operator_signing_key(services: Services) -> bytes:
    # Derived, so the API-key pepper and the session key are never the same bytes.
    return hmac.new(
        services.settings.resolved_secret_key, b"operator-session", hashlib.sha256
    ).digest()


async def _active_tenant(services: Services, tenant_id: UUID) -> Tenant:
    tenant = await services.registry.get(tenant_id)
    if tenant is None:
        raise Unauthenticated("Credential refused.")
    if not tenant.active:
        refuse_inactive(tenant.status)  # TENANT_SUSPENDED, 403
    return tenant


async def resolve(
    services: Services,
    authorization: str | None,
    tenant_ref: str | None,
    browser: BrowserCall | None = None,
) -> Principal:
    """The caller; with `browser` (the request came from a page on some origin), also
    whether that page may use this credential and read the answer."""
    principal = await _credential(services, authorization, tenant_ref)
    if browser is not None:
        await _admit_origin(services, principal, browser)
    return principal


async def _admit_origin(services: Services, principal: Principal, browser: BrowserCall) -> None:
    """A page may use a secret key only from an origin its tenant allows, and an operator
    session only from the platform's own origin: either, in a page elsewhere, has leaked
    (or is about to). Publishable keys and member tokens are meant for pages; from an origin
    the tenant does not allow they are served without CORS headers, so the page cannot read
    the answer."""
    if browser.own:
        return
    tenant = principal.tenant
    if tenant is not None and principal.kind is not Kind.OPERATOR:
        browser.allowed = browser.origin in await services.origins.of_tenant(tenant.id)
    if browser.allowed:
        return
    if principal.kind is Kind.SECRET_KEY:
        raise Forbidden(
            "A secret key is not accepted from a browser page on this origin: call from your"
            " server, or allow the origin (configureAllowedOrigins).",
            field=("Origin",),
        )
    if principal.kind is Kind.OPERATOR:
        raise Forbidden(
            "Operator sessions are accepted only from the platform's own origin.",
            field=("Origin",),
        )


async def _credential(
    services: Services, authorization: str | None, tenant_ref: str | None
) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Use 'Authorization: Bearer <token>'.")

    kind = kind_of(token)
    if kind is not None:
        record = await services.control.api_key_by_hash(
            hash_key(token, services.settings.resolved_secret_key)
        )
        if record is None or record.revoked_at is not None:
            raise Unauthenticated("API key refused.")
        tenant = await _active_tenant(services, record.tenant_id)
        return Principal(
            Kind.SECRET_KEY if kind == "SECRET" else Kind.PUBLISHABLE_KEY,
            tenant,
            api_key_id=record.id,
            api_key_prefix=record.prefix,
        )

    known = services.member_tokens.get(token)
    if known is not None:
        tenant = await _active_tenant(services, known.tenant_id)
        if hmac.compare_digest(tenant.jwt_secret, known.signing_key):
            return Principal(Kind.MEMBER, tenant, member_id=known.member_id)

    claimed = unverified_tenant(token)
    if claimed is not None:
        tenant = await _active_tenant(services, claimed)
        verified = verify_member_token_expiry(token, tenant.id, tenant.jwt_secret)
        if verified is None:
            raise Unauthenticated("Member token refused.")
        member_id, expires_at = verified
        services.member_tokens.put(token, tenant.id, member_id, expires_at, tenant.jwt_secret)
        return Principal(Kind.MEMBER, tenant, member_id=member_id)

    session = verify_operator_session(token, operator_signing_key(services))
    if session is None:
        raise Unauthenticated("Token refused.")
    operator_id, session_id = session
    # Read on every request, never cached: a logout is seen at once by every replica.
    holder = await services.sessions.holder(session_id, operator_id)
    if holder is None:
        raise Unauthenticated("This session has ended: log in again.")
    if not tenant_ref:
        return Principal(
            Kind.OPERATOR,
            operator_id=operator_id,
            role=Role(holder.role),
            session_id=session_id,
            agency_id=holder.agency_id,
            agency_role=Role(holder.role),
        )
    named = await services.registry.by_slug_or_id(tenant_ref)
    role = await services.control.role(operator_id, named.id) if named else None
    # A suspended or archived tenant's operators still read it (and change only what
    # domain/tenant_lifecycle.py allows, api/audit_hook.py).
    if (
        named is None
        or role is None
        or holder.agency_id is None
        or named.agency_id != holder.agency_id
    ):
        raise Forbidden("You have no access to this tenant.", field=("X-Tenant",))
    return Principal(
        Kind.OPERATOR,
        named,
        operator_id=operator_id,
        role=Role(role),
        session_id=session_id,
        agency_id=holder.agency_id,
        agency_role=Role(holder.role),
    )
