"""A tenant with an owner operator and its keys, made straight through the services: what
`make_tenant` gives the in-process tests, and what the fault tests give a server they start."""

from __future__ import annotations

import uuid
from datetime import timedelta
from uuid import UUID

from api.auth.keys import display_prefix, hash_key, new_key
from api.auth.principal import operator_signing_key
from api.auth.tokens import issue_operator_session
from api.services import Services
from persistence import migrator
from tenants.provisioning import create_tenant
from tests.support.gql import TenantKit

KINDS = ("SECRET", "PUBLISHABLE")


async def provision_tenant(services: Services, secret: str, role: str = "OWNER") -> TenantKit:
    """A new tenant whose keys are hashed with `secret` (the server's LOYALTY_SECRET_KEY)."""
    slug = "t" + uuid.uuid4().hex[:12]
    agency = await services.control.create_agency(f"agency of {slug}")
    operator = await services.control.create_operator(
        f"{slug}@ops.example", "argon2-not-used-here", "Op", agency
    )
    tenant = await create_tenant(
        services.pool, migrator=migrator, slug=slug, name=f"Shop {slug}", agency_id=agency
    )
    await services.control.grant(operator.id, tenant.id, role)
    keys = {
        kind: await add_key(services, tenant.id, kind, secret) for kind in ("SECRET", "PUBLISHABLE")
    }
    token, _ = issue_operator_session(
        operator.id, operator_signing_key(services), timedelta(hours=1)
    )
    return TenantKit(
        id=str(tenant.id),
        slug=slug,
        secret_key=keys["SECRET"],
        publishable_key=keys["PUBLISHABLE"],
        operator_token=token,
        operator_email=operator.email,
    )


async def add_key(services: Services, tenant_id: UUID, kind: str, secret: str) -> str:
    """Another key of `kind` for the tenant; returns the key itself."""
    key = new_key(kind)
    await services.control.add_api_key(
        tenant_id, kind, "test", display_prefix(key), hash_key(key, secret.encode())
    )
    return key
