"""Locking a balance reads the lots due under the lock in the same statement, and never a
picture of the lots from before a change it waited for."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from api.schema.common.ids import uuid_of
from domain.ledger import DEFAULT_WALLET
from persistence.uow import PgUnitOfWorkFactory
from tests.support.earning import enroll, schema_of
from tests.support.gql import GraphQLClient

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) { adjustPoints(input: $input) { errors { code } } }
"""


async def _member_with_a_due_lot(gql: GraphQLClient, services: Any, kit: Any) -> tuple[str, UUID]:
    """A member holding one lot of 10 points that expired an hour ago; returns its schema
    and id."""
    member = await enroll(gql, kit)
    data = await gql(ADJUST, {"input": {"memberId": member, "points": 10}}, token=kit.secret_key)
    assert data["adjustPoints"]["errors"] == []
    schema = await schema_of(services, kit)
    member_id = uuid_of(member, "Member")
    await services.pool.execute(
        f"UPDATE \"{schema}\".lots SET expires_at = now() - interval '1 hour' WHERE member_id = $1",
        member_id,
    )
    return schema, member_id


async def _locking(services: Any, schema: str, member_id: UUID) -> tuple[Any, list[Any]]:
    async with PgUnitOfWorkFactory(services.pool, schema)() as unit:
        now = await services.pool.fetchval("SELECT now() + interval '1 second'")
        return await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, now)


async def _while_locked(services: Any, schema: str, member_id: UUID, change: str | None) -> Any:
    """Locks the member's balance in another transaction, starts a lock of it that has to
    wait, then runs `change` (SQL on the member's rows, $1 the member) and commits."""
    async with services.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(f'SET LOCAL search_path = "{schema}"')
        await conn.execute("SELECT 1 FROM balances WHERE member_id = $1 FOR UPDATE", member_id)
        waiting = asyncio.create_task(_locking(services, schema, member_id))
        blocked = "SELECT count(*) > 0 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
        mine = conn.get_server_pid()
        while not await conn.fetchval(blocked, mine):  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.01)
        if change is not None:
            await conn.execute(change, member_id)
        await tx.commit()
    return await waiting


async def test_the_lock_reads_the_lots_due_in_the_same_statement(gql, services, tenant):
    schema, member_id = await _member_with_a_due_lot(gql, services, tenant)

    balance, due = await _locking(services, schema, member_id)

    assert (balance.available, balance.version) == (10, 1)
    assert [(lot.remaining, lot.expires_at is not None) for lot in due] == [(10, True)]


async def test_a_lock_that_waited_for_a_change_reads_the_lots_after_it(gql, services, tenant):
    # given a member's due lot, and another transaction that holds the balance's lock
    schema, member_id = await _member_with_a_due_lot(gql, services, tenant)

    # when, while a lock of the balance waits, that transaction expires the lot and commits
    balance, due = await _while_locked(
        services,
        schema,
        member_id,
        "WITH l AS (UPDATE lots SET remaining = 0 WHERE member_id = $1)"
        " UPDATE balances SET available = 0, version = version + 1 WHERE member_id = $1",
    )

    # then the waiting lock sees the balance and the lots as that transaction left them
    assert (balance.available, balance.version) == (0, 2)
    assert due == []


async def test_a_lock_that_waited_for_no_change_reads_the_due_lots(gql, services, tenant):
    schema, member_id = await _member_with_a_due_lot(gql, services, tenant)

    balance, due = await _while_locked(services, schema, member_id, None)

    assert (balance.available, balance.version) == (10, 1)
    assert [lot.remaining for lot in due] == [10]


async def test_a_member_without_a_balance_row_gets_one(gql, services, tenant):
    member = await enroll(gql, tenant)
    schema = await schema_of(services, tenant)

    balance, due = await _locking(services, schema, uuid_of(member, "Member"))

    assert (balance.available, balance.version, due) == (0, 0, [])
