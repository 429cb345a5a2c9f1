"""A tenant with an owner operator and its keys, made straight through the services: what
`make_tenant` gives the in-process tests, and what the fault tests give a server they start."""

from __future__ import annotations

import uuid
from uuid import UUID

from api.auth.keys import display_prefix, hash_key, new_key
from api.auth.sessions import open_operator_session
from api.services import Services
from persistence import migrator as real_migrator
from tenants.clusters import Placement
from tenants.provisioning import create_tenant
from tenants.schema_migrator import SchemaMigrator
from tests.support.gql import TenantKit

KINDS = ("SECRET", "PUBLISHABLE")


async def provision_tenant(
    services: Services,
    secret: str,
    role: str = "OWNER",
    migrator: SchemaMigrator = real_migrator,
    placement: Placement | None = None,
) -> TenantKit:
    """A new tenant whose keys are hashed with `secret` (the server's LOYALTY_SECRET_KEY);
    `migrator` builds its schema (tests/support/recycled_schemas.py may reuse one), on the
    cluster of `placement` (none: the default)."""
    slug = "t" + uuid.uuid4().hex[:12]
    agency = await services.control.create_agency(f"agency of {slug}")
    operator = await services.control.create_operator(
        f"{slug}@ops.example", "argon2-not-used-here", "Op", agency, role
    )
    tenant = await create_tenant(
        services.pool,
        migrator=migrator,
        slug=slug,
        name=f"Shop {slug}",
        agency_id=agency,
        placement=placement,
    )
    await services.control.grant(operator.id, tenant.id, role)
    keys = {
        kind: await add_key(services, tenant.id, kind, secret) for kind in ("SECRET", "PUBLISHABLE")
    }
    token, _ = await open_operator_session(services, operator.id)
    return TenantKit(
        id=str(tenant.id),
        slug=slug,
        secret_key=keys["SECRET"],
        publishable_key=keys["PUBLISHABLE"],
        operator_token=token,
        operator_email=operator.email,
    )


async def agency_of_tenant(services: Services, tenant_id: str | UUID) -> UUID:
    """The agency of a tenant: operators are made in it to be granted the tenant."""
    tenant = await services.registry.get(UUID(str(tenant_id)))
    assert tenant is not None and tenant.agency_id is not None
    return tenant.agency_id


async def add_key(services: Services, tenant_id: UUID, kind: str, secret: str) -> str:
    """Another key of `kind` for the tenant; returns the key itself."""
    key = new_key(kind)
    await services.control.add_api_key(
        tenant_id, kind, "test", display_prefix(key), hash_key(key, secret.encode())
    )
    return key
