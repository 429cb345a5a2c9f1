"""Creating a tenant: its registry row and its schema at the latest version, atomically.

On a cluster other than the control schema's (tenants/clusters.py) that is two
transactions, held open together: the schema's commits first, then the registry row's, so
that a failure in between leaves an unused schema (dropped again at once when it can be),
never a registered tenant without its tables.

The schema is migrated by the migrator handed in (persistence/migrator.py): tenants imports no
persistence module, since persistence imports tenants."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from domain.agency import require_room_for_tenant
from domain.errors import DomainError, Duplicate
from tenants.clusters import DEFAULT_CLUSTER, Placement
from tenants.lifecycle import drop_schema
from tenants.naming import schema_for, validate_slug
from tenants.registry import Tenant, tenant_from_row
from tenants.schema_migrator import SchemaMigrator


class Fill:
    """What a new tenant's schema is filled with before it is brought to the latest version."""

    def __init__(
        self,
        version: int,
        load: Callable[[asyncpg.Connection | PoolConnectionProxy, str], Awaitable[None]],
    ) -> None:
        self.version = version
        self.load = load


# Given the transaction's connection and the new tenant's schema.
Configure = Callable[[asyncpg.Connection | PoolConnectionProxy, str], Awaitable[None]]


async def create_tenant(
    pool: asyncpg.Pool,
    *,
    migrator: SchemaMigrator,
    slug: str,
    name: str,
    agency_id: UUID | None = None,
    owner_id: UUID | None = None,
    agency_limit: int | None = None,
    fill: Fill | None = None,
    configure: Configure | None = None,
    placement: Placement | None = None,
) -> Tenant:
    """`agency_limit`: refuse (LIMIT_REACHED) when the agency already holds that many.
    `fill`: data loaded into the new schema in the same transaction (a tenant archive), once
    the schema is at the version `fill.version`; the later migrations then run over it.
    `configure`: run in the same transaction once the schema is at the latest version (a
    program template applied): should it fail, no tenant is created.
    `placement`: the cluster for the tenant's schema; none: the control schema's own."""
    slug = validate_slug(slug)
    name = name.strip()
    if not name or len(name) > 200:
        raise DomainError("name must be 1 to 200 characters.", field=("name",))
    schema = schema_for(slug)
    cluster = placement.name if placement is not None else DEFAULT_CLUSTER

    async def fill_schema(conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        if fill is not None:
            await migrator.migrate_schema(conn, schema, "tenant", until=fill.version)
            await fill.load(conn, schema)
        await migrator.migrate_schema(conn, schema, "tenant")
        if configure is not None:
            await configure(conn, schema)

    schema_made = False
    try:
        async with pool.acquire() as conn, conn.transaction():
            row = await _register(conn, slug, name, schema, cluster, agency_id, agency_limit)
            if placement is None or placement.pool is pool:
                # Same transaction: a tenant row never exists without its schema, nor the reverse.
                await fill_schema(conn)
            else:
                async with placement.pool.acquire() as there:
                    async with there.transaction():
                        await fill_schema(there)
                    schema_made = True
            if owner_id is not None:
                # The creator, with its role in the agency, and every owner of the agency.
                await conn.execute(
                    """INSERT INTO control.memberships (operator_id, tenant_id, role)
                       SELECT o.id, $2, o.role FROM control.operators o
                       WHERE o.id = $1 OR (o.agency_id = $3 AND o.role = 'OWNER')""",
                    owner_id,
                    row["id"],
                    agency_id,
                )
    except BaseException:
        if placement is not None and schema_made:
            await _drop_unregistered(placement.pool, schema)
        raise
    return tenant_from_row(row)


async def _register(
    conn: PoolConnectionProxy,
    slug: str,
    name: str,
    schema: str,
    cluster: str,
    agency_id: UUID | None,
    agency_limit: int | None,
) -> asyncpg.Record:
    if agency_id is not None and agency_limit is not None:
        # The agency's row lock orders concurrent creations, so none passes the limit.
        await conn.execute("SELECT 1 FROM control.agencies WHERE id = $1 FOR UPDATE", agency_id)
        held = await conn.fetchval(
            "SELECT count(*) FROM control.tenants WHERE agency_id = $1", agency_id
        )
        require_room_for_tenant(int(held), agency_limit)
    try:
        row = await conn.fetchrow(
            """INSERT INTO control.tenants
                 (id, slug, name, agency_id, schema_name, jwt_secret, placement)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               RETURNING id, slug, name, agency_id, schema_name, placement, jwt_secret,
                         status, created_at""",
            uuid.uuid4(),
            slug,
            name,
            agency_id,
            schema,
            secrets.token_bytes(32),
            cluster,
        )
    except asyncpg.UniqueViolationError as err:
        raise Duplicate("A tenant with this slug exists.", field=("slug",)) from err
    assert row is not None
    return row


async def _drop_unregistered(pool: asyncpg.Pool, schema: str) -> None:
    """The schema made on another cluster for a tenant whose registration then failed."""
    with contextlib.suppress(Exception):  # what is left is an unused schema, never a tenant
        async with pool.acquire() as conn, conn.transaction():
            await drop_schema(conn, schema)
