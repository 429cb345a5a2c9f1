"""Helpers for tests about what a process remembers: a second process on the same
services' database, whether it hears a changed externalId, and a table held locked while a
call runs."""

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


# Only what the member's id answers: a remembered externalId is answered without the row.
MEMBER_POINTS = "query M($id: String!) { member(externalId: $id) { id points { available } } }"
RENAME = """
mutation Update($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id externalId } errors { code field message } }
}
"""


async def renamed_member_forgotten_elsewhere(
    services: Services, gql: GraphQLClient, kit: TenantKit, member: str, within: float
) -> bool:
    """`member`, whose externalId is "before", is looked up by a second process that
    remembers externalIds for a minute and trusts them as long while it does not hear (no
    short trust hides a missed announcement); then renamed "after" through `gql`. Whether the
    second process stops answering for "before" within `within` seconds: only the
    announcement of the change can make it."""
    async with second_process(
        services.settings, external_id_cache_seconds=60, unheard_cache_seconds=60
    ) as other:
        seen = await other(MEMBER_POINTS, {"id": "before"}, token=kit.secret_key)
        assert seen["member"]["id"] == member
        renamed = await gql(
            RENAME, {"input": {"id": member, "externalId": "after"}}, token=kit.secret_key
        )
        assert renamed["updateMember"]["errors"] == []
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            answer = await other(MEMBER_POINTS, {"id": "before"}, token=kit.secret_key)
            if answer["member"] is None:
                found = await other(MEMBER_POINTS, {"id": "after"}, token=kit.secret_key)
                assert found["member"]["id"] == member
                return True
            await asyncio.sleep(0.05)
        return False


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
