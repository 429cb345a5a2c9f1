"""An operator's roles in its agency, and how many tenants the agency holds."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def agency_standing(
    pool: asyncpg.Pool, operator_id: UUID, agency_id: UUID
) -> tuple[list[str], int]:
    row = await pool.fetchrow(
        """SELECT
             (SELECT coalesce(array_agg(DISTINCT m.role), '{}')
                FROM control.memberships m JOIN control.tenants t ON t.id = m.tenant_id
                WHERE m.operator_id = $1 AND t.agency_id = $2) AS roles,
             (SELECT count(*) FROM control.tenants WHERE agency_id = $2) AS tenants""",
        operator_id,
        agency_id,
    )
    assert row is not None
    return list(row["roles"]), int(row["tenants"])
