"""suspendTenant, reactivateTenant, archiveTenant, deleteTenant: an agency's operators move a
tenant through its lifecycle (domain/tenant_lifecycle.py, tenants/lifecycle.py)."""

from __future__ import annotations

from typing import Any

import strawberry
from asyncpg.pool import PoolConnectionProxy

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.tenants.tenants import Tenant, grace_period
from domain.errors import Forbidden
from domain.tenant_lifecycle import LifecycleAction, clean_reason, require_may
from persistence import audit_trail
from persistence.tenant_keys import forget_tenant_keys
from tenants import lifecycle
from tenants.registry import Tenant as TenantRecord


@strawberry.input
class TenantLifecycleInput:
    tenant: str = strawberry.field(description="The tenant's slug or id.")
    reason: str | None = strawberry.field(default=None, description="Kept with the status.")


@strawberry.input
class DeleteTenantInput:
    tenant: str = strawberry.field(description="The tenant's slug or id.")


@strawberry.type
class TenantLifecyclePayload:
    tenant: Tenant | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteTenantPayload:
    deleted_tenant_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id the deleted tenant had."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _managed(info: Info, ref: str, action: LifecycleAction) -> tuple[TenantRecord, str]:
    """The tenant named, if the operator holds a role on it that may do `action`."""
    ctx = info.context
    p = ctx.principal
    if p.kind is not Kind.OPERATOR or p.operator_id is None:
        raise Forbidden("Only operators manage tenants.")
    tenant = await ctx.services.registry.by_slug_or_id(ref)
    role = await ctx.services.control.role(p.operator_id, tenant.id) if tenant else None
    if tenant is None or role is None:
        raise Forbidden("You have no access to this tenant.", field=("tenant",))
    require_may(action, role)
    return tenant, role


async def _record(conn: PoolConnectionProxy, tenant: TenantRecord) -> None:
    """The change goes in the agency's audit log, in its own transaction."""
    intent = audit_trail.current.get()
    if intent is not None:
        await audit_trail.record_in_control(conn, intent, tenant.agency_id, tenant.id)


async def _move(info: Info, ref: str, action: LifecycleAction, reason: str | None) -> Tenant:
    tenant, role = await _managed(info, ref, action)
    services = info.context.services
    changed = await lifecycle.change_status(
        services.pool, tenant.id, action, clean_reason(reason), services.clock.now(), _record
    )
    services.registry.forget(tenant.id)
    return Tenant.of(changed, role)


def _status_change(action: LifecycleAction, description: str) -> Any:
    """The mutation that moves a tenant by `action` (the three differ in nothing else)."""

    async def move(info: Info, input: TenantLifecycleInput) -> TenantLifecyclePayload:
        tenant = await _move(info, input.tenant, action, input.reason)
        return TenantLifecyclePayload(tenant=tenant)

    # The audit log names the mutation by its resolver's name (api/audit_hook.py).
    move.__name__ = move.__qualname__ = action.value
    return strawberry.mutation(
        resolver=returns_payload(TenantLifecyclePayload)(move), description=description
    )


@strawberry.type
class TenantLifecycleMutations:
    suspend_tenant = _status_change(
        LifecycleAction.SUSPEND,
        "Suspend a tenant: its API keys and member tokens are refused (TENANT_SUSPENDED), its"
        " jobs stop; its data is kept. Owners and admins.",
    )
    reactivate_tenant = _status_change(
        LifecycleAction.REACTIVATE,
        "Make a suspended or archived tenant active again.",
    )
    archive_tenant = _status_change(
        LifecycleAction.ARCHIVE,
        "Archive a tenant: suspended, and left out of `agency { tenants }` unless asked for; it"
        " may be deleted after the grace period.",
    )

    @strawberry.mutation(
        description="Delete an archived tenant for good once its grace period is over: its "
        "schema, data and keys. Owners only; recorded in the agency's audit log."
    )
    @returns_payload(DeleteTenantPayload)
    async def delete_tenant(self, info: Info, input: DeleteTenantInput) -> DeleteTenantPayload:
        tenant, _ = await _managed(info, input.tenant, LifecycleAction.DELETE)
        services = info.context.services
        grace = grace_period(services.settings)
        await lifecycle.delete_tenant(
            services.pool, tenant.id, grace, services.clock.now(), _record, services.clusters
        )
        services.registry.forget(tenant.id)
        await forget_tenant_keys(services.redis, tenant.id)
        return DeleteTenantPayload(deleted_tenant_id=Tenant.of(tenant).id)
