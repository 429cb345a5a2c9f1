"""Moving a tenant to another PostgreSQL cluster, keeping its identity: its id, keys,
memberships and Redis keys stay as they are; its schema is copied through a tenant archive
into a schema of the same name on the target (`loyalty tenant move`).

The tenant is suspended meanwhile (its keys and member tokens refused, its jobs skipped), and
reactivated at the end if it was active. The order makes every failure safe: the target's
copy commits before `placement` switches (a failure before leaves the tenant where it was,
and the copy is dropped); the old schema is dropped only once the switch has committed.

The switch's transaction also writes `moveTenant` in the agency's audit log, naming the
clusters left and reached: the entry exists exactly when the move happened. The suspension
and reactivation around it are steps of the move, recorded by `record` if at all.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from domain.audit import MOVE_TENANT, Actor, AuditIntent
from domain.errors import DomainError
from domain.tenant_archive import migrations_to_load_at
from domain.tenant_lifecycle import LifecycleAction
from persistence import audit_trail, migrator
from persistence.tenant_archive.reader import load, open_archive, verify
from persistence.tenant_archive.writer import export_tenant
from tenants.clusters import Clusters
from tenants.lifecycle import change_status, drop_schema
from tenants.registry import COLUMNS, TENANT_CHANGES, Tenant, tenant_from_row

log = logging.getLogger("loyalty.tenant_move")
Record = Callable[[PoolConnectionProxy, Tenant], Awaitable[None]]
REASON = "Moving to another database cluster."


async def move_tenant(
    clusters: Clusters,
    tenant: Tenant,
    target: str,
    *,
    now: Callable[[], datetime],
    record: Record,
    by: Actor,
    settle_seconds: float = 5.0,
) -> Tenant:
    """`by`: who moves it, for the audit entry. `settle_seconds`: how long to wait once the
    tenant is suspended, for requests that were admitted before to finish, before its rows
    are read."""
    destination = clusters.placement(target)
    if destination.name == tenant.placement:
        raise DomainError(f"The tenant is already on cluster {target!r}.", field=("cluster",))
    was_active = tenant.active
    if was_active:
        await change_status(
            clusters.default, tenant.id, LifecycleAction.SUSPEND, REASON, now(), record
        )
        await asyncio.sleep(settle_seconds)
    try:
        with tempfile.TemporaryDirectory(prefix="loyalty-move-") as scratch:
            archive_path = Path(scratch) / "tenant.zip"
            with archive_path.open("wb") as out:
                async for chunk in export_tenant(clusters.of(tenant), tenant):
                    out.write(chunk)
            await _copy(destination.pool, tenant.schema_name, archive_path)
        try:
            moved = await _switch(clusters, tenant, destination.name, by)
        except BaseException:
            async with destination.pool.acquire() as conn, conn.transaction():
                await drop_schema(conn, tenant.schema_name)
            raise
        try:
            async with clusters.of(tenant).acquire() as conn, conn.transaction():
                await drop_schema(conn, tenant.schema_name)
        except Exception:  # the tenant has moved; what is left is an unused schema
            log.exception("the old copy of %s was not dropped", tenant.schema_name)
    finally:
        if was_active:
            reactivated = await change_status(
                clusters.default, tenant.id, LifecycleAction.REACTIVATE, None, now(), record
            )
    return reactivated if was_active else moved


async def _copy(pool: asyncpg.Pool, schema: str, path: Path) -> None:
    """The archive loaded into `schema` on the target, at the latest version, in one
    transaction; refused if the target already has such a schema."""
    with open_archive(path) as archive:
        manifest = verify(archive)
        version = migrations_to_load_at(
            manifest.migrations, tuple(m.version for m in migrator.migrations("tenant"))
        )
        async with pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                raise DomainError(
                    f"The target cluster already has a schema {schema}: drop it first.",
                    field=("cluster",),
                )
            await migrator.migrate_schema(conn, schema, "tenant", until=version)
            await load(conn, schema, archive, manifest, keep_endpoints=True)
            await migrator.migrate_schema(conn, schema, "tenant")


async def _switch(clusters: Clusters, tenant: Tenant, target: str, by: Actor) -> Tenant:
    summary = {"tenant": tenant.slug, "from": tenant.placement, "to": target}
    entry = AuditIntent(by, MOVE_TENANT, tenant.slug, summary)
    async with clusters.default.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"UPDATE control.tenants SET placement = $2 WHERE id = $1 RETURNING {COLUMNS}",
            tenant.id,
            target,
        )
        if row is None:
            raise DomainError("The tenant was deleted meanwhile.", field=("tenant",))
        await audit_trail.record_in_control(conn, entry, tenant.agency_id, tenant.id)
        # Every process forgets the tenant, and its placement with it, when this commits.
        await conn.execute("SELECT pg_notify($1, $2)", TENANT_CHANGES, str(tenant.id))
    return tenant_from_row(row)
