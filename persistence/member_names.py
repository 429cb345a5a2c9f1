"""Which member an id or externalId names, in one round trip: one statement on a pooled
connection, outside any explicit transaction.

A unit of work costs three round trips before its first row (BEGIN with the search path,
the statement, COMMIT); a status read of a member this process has not seen lately needs
only the member's id and externalId. This names the tenant's table with its schema instead
of setting the search path: the schema name has passed `assert_schema_name` (`t_` and
[a-z0-9_] only) before it is put in the text, and nothing is set on the connection, so it
goes back to the pool exactly as it came (no reset needed, as after a unit of work). The
statement runs in an implicit transaction of its own, which works the same behind a
transaction-mode pooler.

The texts differ per tenant, so each tenant's two statements are prepared once per
connection and kept in asyncpg's statement cache like every other statement.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from persistence.db import release_after_transaction
from tenants.naming import assert_schema_name

# (id, externalId) of the member named; the externalId is None once erased.
MemberName = tuple[UUID, str | None]


class PgMemberNames:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        table = f'"{assert_schema_name(schema)}".members'
        self._by_id = f"SELECT id, external_id FROM {table} WHERE id = $1"
        self._by_external_id = f"SELECT id, external_id FROM {table} WHERE external_id = $1"

    async def by_id(self, member_id: UUID) -> MemberName | None:
        return await self._one(self._by_id, member_id)

    async def by_external_id(self, external_id: str) -> MemberName | None:
        return await self._one(self._by_external_id, external_id)

    async def _one(self, sql: str, value: object) -> MemberName | None:
        conn = await self._pool.acquire()
        try:
            row = await conn.fetchrow(sql, value)
        finally:
            await release_after_transaction(self._pool, conn)
        return (row[0], row[1]) if row is not None else None
