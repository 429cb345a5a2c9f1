"""The tenant unit of work starts its transaction and search path in one round trip; it is
still asyncpg's own transaction: commit, rollback and nested savepoints behave as usual."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from persistence.db import create_pool
from persistence.uow import PgUnitOfWorkFactory


@pytest.fixture
async def probe(database_url, make_tenant, services):
    """A one-connection pool and a scratch table in a fresh tenant's schema."""
    kit = await make_tenant()
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    pool = await create_pool(database_url, min_size=1, max_size=1)
    async with pool.acquire() as conn:
        await conn.execute(f'CREATE TABLE "{tenant.schema_name}".uow_probe (n int PRIMARY KEY)')
    try:
        yield pool, tenant.schema_name
    finally:
        async with pool.acquire() as conn:
            await conn.execute(f'DROP TABLE "{tenant.schema_name}".uow_probe')
        await pool.close()


async def _rows(pool: asyncpg.Pool, schema: str) -> list[int]:
    async with pool.acquire() as conn:
        return [r["n"] for r in await conn.fetch(f'SELECT n FROM "{schema}".uow_probe ORDER BY n')]


async def test_a_unit_of_work_is_one_transaction_in_its_tenants_schema(probe):
    pool, schema = probe

    # when a unit of work writes to an unqualified table name and commits
    async with PgUnitOfWorkFactory(pool, schema)() as uow:
        conn = uow.members._conn
        in_transaction = conn.is_in_transaction()
        path = await conn.fetchval("SELECT current_setting('search_path')")
        await conn.execute("INSERT INTO uow_probe VALUES (1)")

    # then it ran in a transaction with the tenant's path, and the row is there
    assert in_transaction
    assert path == schema
    assert await _rows(pool, schema) == [1]

    # and the connection went back to the pool with neither a transaction nor the path
    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('search_path')") != schema


async def test_a_failed_unit_of_work_writes_nothing(probe):
    pool, schema = probe

    # when a unit of work fails after writing
    with pytest.raises(RuntimeError):
        async with PgUnitOfWorkFactory(pool, schema)() as uow:
            await uow.members._conn.execute("INSERT INTO uow_probe VALUES (2)")
            raise RuntimeError("boom")

    # then the write is rolled back, and the next unit of work on the same connection works
    assert await _rows(pool, schema) == []
    async with PgUnitOfWorkFactory(pool, schema)() as uow:
        await uow.members._conn.execute("INSERT INTO uow_probe VALUES (3)")
    assert await _rows(pool, schema) == [3]


async def test_a_savepoint_inside_a_unit_of_work_rolls_back_alone(probe):
    pool, schema = probe

    # when a unit of work opens a savepoint that fails on a duplicate, then carries on
    async with PgUnitOfWorkFactory(pool, schema)() as uow:
        conn = uow.members._conn
        await conn.execute("INSERT INTO uow_probe VALUES (4)")
        with pytest.raises(asyncpg.UniqueViolationError):
            async with conn.transaction():  # a savepoint, as repositories open them
                await conn.execute("INSERT INTO uow_probe VALUES (5)")
                await conn.execute("INSERT INTO uow_probe VALUES (4)")
        await conn.execute("INSERT INTO uow_probe VALUES (6)")
        async with conn.transaction():
            await conn.execute("INSERT INTO uow_probe VALUES (7)")

    # then only the failed savepoint's writes are gone
    assert await _rows(pool, schema) == [4, 6, 7]
