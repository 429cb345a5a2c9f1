"""Helpers for tests about what a process remembers: a second process on the same
services' database, and a table held locked while a call runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.support.earning import schema_of
from tests.support.gql import GraphQLClient, TenantKit


@asynccontextmanager
async def second_process(
    settings: Settings, *, listening: bool = True, **overrides: Any
) -> AsyncIterator[GraphQLClient]:
    """Another API process on the same database and Redis, with `overrides` to its settings
    (a long cache time, say, so that only an announcement makes it forget within a test);
    not `listening`, it hears no announcements at all."""
    running = await Services.start(
        settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 4, **overrides})
    )
    if not listening and running.announcements is not None:
        await running.announcements.stop()
    transport = httpx.ASGITransport(app=create_app(services=running))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)
    finally:
        await running.close()


async def while_table_is_locked(
    services: Services, kit: TenantKit, table: str, call: Callable[[], Awaitable[Any]]
) -> tuple[Any, bool]:
    """Runs `call` while another transaction holds the tenant's `table` in ACCESS EXCLUSIVE
    mode, so any read of it waits. Returns the answer and whether the call waited on the
    table (seen in pg_locks, after which the lock is let go)."""
    relation = f'"{await schema_of(services, kit)}".{table}'
    async with services.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(f"LOCK TABLE {relation} IN ACCESS EXCLUSIVE MODE")
        task = asyncio.create_task(call())
        waited = False
        try:
            while not task.done():
                waited = await conn.fetchval(
                    "SELECT count(*) > 0 FROM pg_locks WHERE relation = $1::regclass"
                    " AND NOT granted",
                    relation,
                )
                if waited:
                    break
                await asyncio.sleep(0.01)
        finally:
            await tx.rollback()
        return await task, waited
