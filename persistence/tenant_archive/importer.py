"""A new tenant made from an archive: checked whole, then created and filled in one
transaction (tenants/provisioning.py), at the archive's schema version and then migrated to
the latest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import asyncpg

from domain.tenant_archive import ArchiveRefused, migrations_to_load_at
from persistence import migrator
from persistence.db import Conn
from persistence.tenant_archive.reader import Progress, load, open_archive, verify
from tenants.clusters import Placement
from tenants.provisioning import Fill, create_tenant
from tenants.registry import Tenant


async def import_tenant(
    pool: asyncpg.Pool,
    path: Path,
    *,
    slug: str,
    name: str | None = None,
    agency_id: UUID | None = None,
    owner_id: UUID | None = None,
    agency_limit: int | None = None,
    on_verified: Progress | None = None,
    on_loaded: Progress | None = None,
    placement: Placement | None = None,
) -> Tenant:
    """The new tenant `slug` holding the archive's data; ArchiveRefused (nothing written)
    when the archive does not match its manifest or was made by another version.
    `agency_limit`: as create_tenant's."""
    with open_archive(path) as archive:
        # Hashing every file is seconds of work for a large archive: off the event loop.
        manifest = await asyncio.to_thread(verify, archive, on_rows=on_verified)
        version = migrations_to_load_at(
            manifest.migrations, tuple(m.version for m in migrator.migrations("tenant"))
        )

        async def fill(conn: Conn, schema: str) -> None:
            try:
                await load(conn, schema, archive, manifest, on_rows=on_loaded)
            except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as err:
                # Files that match their manifest but whose rows do not fit the tables (an
                # archive written by hand): the transaction rolls back, no tenant is left.
                raise ArchiveRefused(f"The archive's rows do not load: {err}") from err
            except UnicodeDecodeError as err:
                raise ArchiveRefused(f"The archive's rows are not UTF-8 text: {err}") from err

        return await create_tenant(
            pool,
            migrator=migrator,
            slug=slug,
            name=name or manifest.name,
            agency_id=agency_id,
            owner_id=owner_id,
            agency_limit=agency_limit,
            fill=Fill(version, fill),
            placement=placement,
        )
