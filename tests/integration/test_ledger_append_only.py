"""The database itself refuses to edit or delete ledger entries."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET available_delta = available_delta + 1",
        "DELETE FROM ledger_entries",
        "TRUNCATE ledger_entries CASCADE",
    ],
)
async def test_ledger_refuses_changes(services, tenant, enroll, statement):
    await enroll(tenant, points=25)
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    async with services.pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            async with conn.transaction():
                await conn.execute("SELECT set_config('search_path', $1, true)", schema)
                await conn.execute(statement)
        count = await conn.fetchval(f'SELECT count(*) FROM "{schema}".ledger_entries')
    assert count == 1
