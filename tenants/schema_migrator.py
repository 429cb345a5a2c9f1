"""What provisioning and `loyalty migrate` need from the SQL migrations, as a protocol.

persistence/migrator.py is the implementation: callers pass that module itself. Dependencies
point from persistence to tenants (persistence names schemas with tenants/naming.py), so
tenants never imports persistence; it migrates with the migrator it is handed.
"""

from __future__ import annotations

from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy


class SchemaMigrator(Protocol):
    async def migrate_control(self, conn: asyncpg.Connection | PoolConnectionProxy) -> list[int]:
        """Brings the control schema to its latest version; returns the versions applied."""
        ...

    async def migrate_schema(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        schema: str,
        kind: str,
        *,
        until: int | None = None,
    ) -> list[int]:
        """Brings one schema to the latest version of `kind` ('control' or 'tenant'), or
        only to `until`."""
        ...
