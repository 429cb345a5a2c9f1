"""Two tenants used at once never see each other's members, balances or cache entries."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from persistence.db import create_pool
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST

MEMBER_BY_EXTERNAL = """
query ByExternal($externalId: String!) {
  member(externalId: $externalId) { id externalId points { available lifetime } }
}
"""
MEMBERS = "query { members(first: 100) { nodes { externalId } } }"


async def test_interleaved_requests_of_two_tenants_stay_apart(gql, make_tenant, enroll, services):
    a, b = await make_tenant(), await make_tenant()
    # The same store customer id in both shops is two different members.
    a_id = await enroll(a, external_id="shared-customer")
    b_id = await enroll(b, external_id="shared-customer")
    assert a_id != b_id

    async def bump(kit, member_id, points, n):
        for _ in range(n):
            data = await gql(
                ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
            )
            assert data["adjustPoints"]["errors"] == []

    await asyncio.gather(
        *[bump(a, a_id, 3, 10) for _ in range(3)], *[bump(b, b_id, 7, 10) for _ in range(3)]
    )

    seen_a = await gql(MEMBER_BY_EXTERNAL, {"externalId": "shared-customer"}, token=a.secret_key)
    seen_b = await gql(MEMBER_BY_EXTERNAL, {"externalId": "shared-customer"}, token=b.secret_key)
    assert seen_a["member"] == {
        "id": a_id,
        "externalId": "shared-customer",
        "points": {"available": 90, "lifetime": 90},
    }
    assert seen_b["member"]["id"] == b_id
    assert seen_b["member"]["points"] == {"available": 210, "lifetime": 210}

    # A's key cannot reach B's member by global id.
    cross = await gql(
        "query($id: ID!) { member(id: $id) { id } }", {"id": b_id}, token=a.secret_key
    )
    assert cross["member"] is None

    # Cache keys carry the tenant id: each tenant's keys are its own (the member's balance
    # and its shared name, persistence/shared_names.py).
    for kit in (a, b):
        keys = sorted(
            [k.decode() async for k in services.redis.scan_iter(match=f"{{t:{kit.id}}}:*")]
        )
        prefix = f"{{t:{UUID(kit.id)}}}"
        assert [k.split(":")[2] for k in keys] == ["bal", "xid"], keys
        assert keys[1] == f"{prefix}:xid:shared-customer"
        assert keys[0].startswith(f"{prefix}:bal:")


async def test_a_pooled_connection_never_carries_a_tenant_path(database_url, make_tenant):
    a, b = await make_tenant(), await make_tenant()
    pool = await create_pool(database_url, min_size=1, max_size=1)  # one connection for all
    try:
        schemas = {}
        for kit in (a, b):
            async with pool.acquire() as conn:
                schemas[kit.slug] = await conn.fetchval(
                    "SELECT schema_name FROM control.tenants WHERE slug = $1", kit.slug
                )

        async def count_in(schema: str) -> str:
            async with PgUnitOfWorkFactory(pool, schema)() as uow:
                return str(await uow.members._conn.fetchval("SELECT current_schema()"))

        seen = await asyncio.gather(*(count_in(schemas[k.slug]) for k in (a, b, a, b, a, b)))
        assert seen == [schemas[a.slug], schemas[b.slug]] * 3
        async with pool.acquire() as conn:
            # After the transactions, the shared connection is back on the default path.
            path = await conn.fetchval("SHOW search_path")
            assert "t_" not in path
            try:
                await conn.fetchval("SELECT count(*) FROM members")
                raise AssertionError("an unqualified tenant table was reachable outside a tenant")
            except asyncpg.UndefinedTableError:
                pass
    finally:
        await pool.close()


async def test_session_state_left_outside_a_unit_of_work_is_still_reset(database_url, make_tenant):
    # given one pooled connection, and a unit of work that hands it back unreset
    kit = await make_tenant()
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            schema = await conn.fetchval(
                "SELECT schema_name FROM control.tenants WHERE slug = $1", kit.slug
            )
        async with PgUnitOfWorkFactory(pool, schema)() as uow:
            await uow.members._conn.fetchval("SELECT count(*) FROM members")

        # when plain pool users set session state and take a session advisory lock
        async with pool.acquire() as conn:
            await conn.execute("SET search_path = " + schema)
            await conn.execute("SET application_name = 'leaky'")
            assert await conn.fetchval("SELECT pg_try_advisory_lock(4242)")

        # then the next borrower of the connection sees none of it
        async with pool.acquire() as conn:
            assert "t_" not in await conn.fetchval("SHOW search_path")
            assert await conn.fetchval("SHOW application_name") != "leaky"
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            assert held == 0
    finally:
        await pool.close()
