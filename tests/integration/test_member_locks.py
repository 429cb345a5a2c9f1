"""Whoever writes a member's segment memberships or tier row, or clears what the events say
of an erased member, holds the member's lock (persistence/member_locks.py) from then to its
COMMIT: the order every writer keeps is the balance row, the member's lock, then those rows,
which is what lets a credit write its event in the statement that takes the balance lock
without deadlocking with them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from api.schema.common.ids import uuid_of
from api.services import Services
from persistence.uow import PgTenantUnitOfWork, PgUnitOfWorkFactory
from tests.conftest import CLOCK_START
from tests.support.earning import enroll, schema_of

_TRY = "SELECT pg_try_advisory_xact_lock(5502, hashtext($1::uuid::text))"
_HOLD = "SELECT pg_advisory_xact_lock(5502, hashtext($1::uuid::text))"

Writing = Callable[[PgTenantUnitOfWork, UUID], Awaitable[Any]]


async def _memberships(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.segments.replace_memberships([member_id], [("new", member_id)], CLOCK_START)


async def _tier_row(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.tiers.lock_member_tier(member_id, CLOCK_START)


async def _forgotten(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.webhooks.forget_member(member_id)


# Each writer of a member's rows that takes the member's lock first.
WRITERS = pytest.mark.parametrize(
    "writing",
    [
        pytest.param(_memberships, id="segment-memberships"),
        pytest.param(_tier_row, id="tier-row"),
        pytest.param(_forgotten, id="erased-events"),
    ],
)


@WRITERS
async def test_the_writer_holds_the_members_lock_until_it_commits(
    gql, services: Services, tenant, writing: Writing
):
    # given a member
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    uow = PgUnitOfWorkFactory(services.pool, await schema_of(services, tenant))

    # when a transaction writes those rows of the member and has not committed yet
    async with uow() as unit:
        await writing(unit, member_id)

        # then nobody else can take the member's lock
        async with services.pool.acquire() as other, other.transaction():
            assert await other.fetchval(_TRY, member_id) is False

    # and once it has committed, anybody can
    async with services.pool.acquire() as other, other.transaction():
        assert await other.fetchval(_TRY, member_id) is True


@WRITERS
async def test_the_writer_holds_the_members_row_against_an_erasure(
    gql, services: Services, tenant, writing: Writing
):
    # given a member, and a transaction that wrote those rows of it and has not committed
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    schema = await schema_of(services, tenant)
    uow = PgUnitOfWorkFactory(services.pool, schema)
    async with uow() as unit:
        await writing(unit, member_id)

        # then an erasure could not lock the member's row before it (it takes the row,
        # then the member's lock, as the writer took them)
        async with services.pool.acquire() as other, other.transaction():
            with pytest.raises(asyncpg.LockNotAvailableError):
                await other.execute(
                    f'SELECT 1 FROM "{schema}".members WHERE id = $1 FOR UPDATE NOWAIT',
                    member_id,
                )


async def test_the_tier_row_is_locked_only_once_the_members_lock_is_held(
    gql, services: Services, tenant
):
    # given a member with a tier row, and another transaction holding the member's lock
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    schema = await schema_of(services, tenant)
    uow = PgUnitOfWorkFactory(services.pool, schema)
    async with uow() as unit:
        await unit.tiers.lock_member_tier(member_id, CLOCK_START)
    holder = await services.pool.acquire()
    holder_tx = holder.transaction()
    await holder_tx.start()
    await holder.execute(
        _TRY.replace("pg_try_advisory_xact_lock", "pg_advisory_xact_lock"), member_id
    )

    # when a unit of work asks for the member's tier row
    async def lock_tier() -> None:
        async with uow() as waiting:
            await waiting.tiers.lock_member_tier(member_id, CLOCK_START)

    locking = asyncio.create_task(lock_tier())
    try:
        for _ in range(100):
            if await _waiting_for_advisory(services):
                break
            await asyncio.sleep(0.05)

        # then it waits for the member's lock without holding the row
        async with services.pool.acquire() as probe, probe.transaction():
            row = await probe.fetchval(
                f'SELECT 1 FROM "{schema}".member_tiers WHERE member_id = $1 FOR UPDATE NOWAIT',
                member_id,
            )
        assert row == 1 and not locking.done()
    finally:
        await holder_tx.rollback()
        await services.pool.release(holder)
    # and takes both once the lock is let go
    await asyncio.wait_for(locking, 10)


async def _waiting_for_advisory(services: Services) -> bool:
    waiting = await services.pool.fetchval(
        """SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event = 'advisory'"""
    )
    return bool(waiting)
