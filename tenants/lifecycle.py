"""Changing a tenant's status, and deleting one: each in one control transaction that also
records it (`record`, handed in: tenants imports no persistence module) and announces it on
TENANT_CHANGES, so every process forgets the tenant the moment it commits
(tenants/registry.py). The rules are domain/tenant_lifecycle.py's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from domain.errors import NotFound
from domain.tenant_lifecycle import LifecycleAction, TenantStatus, next_status, require_deletable
from tenants.clusters import Clusters
from tenants.naming import quote_schema
from tenants.registry import COLUMNS, TENANT_CHANGES, Tenant, tenant_from_row

Record = Callable[[PoolConnectionProxy, Tenant], Awaitable[None]]


async def _locked(conn: PoolConnectionProxy, tenant_id: UUID) -> Tenant:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM control.tenants WHERE id = $1 FOR UPDATE", tenant_id
    )
    if row is None:
        raise NotFound("No such tenant.", field=("tenant",))
    return tenant_from_row(row)


async def change_status(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    action: LifecycleAction,
    reason: str | None,
    now: datetime,
    record: Record,
) -> Tenant:
    async with pool.acquire() as conn, conn.transaction():
        tenant = await _locked(conn, tenant_id)
        status = next_status(action, tenant.status)
        row = await conn.fetchrow(
            f"""UPDATE control.tenants SET status = $2, status_reason = $3,
                  suspended_at = CASE WHEN $2 = 'SUSPENDED' THEN $4::timestamptz
                                      WHEN $2 = 'ACTIVE' THEN NULL ELSE suspended_at END,
                  archived_at = CASE WHEN $2 = 'ARCHIVED' THEN $4::timestamptz ELSE NULL END
                WHERE id = $1 RETURNING {COLUMNS}""",
            tenant_id,
            status.value,
            reason if status is not TenantStatus.ACTIVE else None,
            now,
        )
        assert row is not None
        changed = tenant_from_row(row)
        await record(conn, changed)
        await conn.execute("SELECT pg_notify($1, $2)", TENANT_CHANGES, str(tenant_id))
    return changed


async def delete_tenant(
    pool: asyncpg.Pool,
    tenant_id: UUID,
    grace: timedelta,
    now: datetime,
    record: Record,
    clusters: Clusters | None = None,
) -> Tenant:
    """Drops the tenant's schema and its registry row (its keys and memberships go with
    it), once archived for `grace`. On another cluster than the control schema's, the
    schema is dropped there once the registry row is gone: a failure in between leaves an
    unused schema, never a registered tenant without its tables."""
    async with pool.acquire() as conn, conn.transaction():
        tenant = await _locked(conn, tenant_id)
        require_deletable(tenant.status, tenant.archived_at, grace, now)
        there = (clusters or Clusters(pool)).of(tenant)
        await record(conn, tenant)
        if there is pool:
            await drop_schema(conn, tenant.schema_name)
        await conn.execute("DELETE FROM control.tenants WHERE id = $1", tenant_id)
        await conn.execute("SELECT pg_notify($1, $2)", TENANT_CHANGES, str(tenant_id))
    if there is not pool:
        async with there.acquire() as other, other.transaction():
            await drop_schema(other, tenant.schema_name)
    return tenant


async def drop_schema(conn: PoolConnectionProxy, schema: str) -> None:
    """A tenant's schema and its record of applied migrations, on the connection's cluster."""
    await conn.execute(f"DROP SCHEMA IF EXISTS {quote_schema(schema)} CASCADE")
    await conn.execute("DELETE FROM control.schema_migrations WHERE schema_name = $1", schema)
