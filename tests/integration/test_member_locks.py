"""Whoever writes a member's segment memberships or tier row, or clears what the events say
of an erased member, holds the member's lock (persistence/member_locks.py) from then to its
COMMIT: the order every writer keeps is the balance row, the member's lock, then those rows,
which is what lets a credit write its event in the statement that takes the balance lock
without deadlocking with them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import uuid_of
from api.services import Services
from persistence.uow import PgTenantUnitOfWork, PgUnitOfWorkFactory
from tests.conftest import CLOCK_START
from tests.support.earning import enroll, schema_of

_TRY = "SELECT pg_try_advisory_xact_lock(5502, hashtext($1::uuid::text))"

Writing = Callable[[PgTenantUnitOfWork, UUID], Awaitable[Any]]


async def _memberships(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.segments.replace_memberships([member_id], [("new", member_id)], CLOCK_START)


async def _tier_row(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.tiers.lock_member_tier(member_id, CLOCK_START)


async def _forgotten(unit: PgTenantUnitOfWork, member_id: UUID) -> None:
    await unit.webhooks.forget_member(member_id)


@pytest.mark.parametrize(
    "writing",
    [
        pytest.param(_memberships, id="segment-memberships"),
        pytest.param(_tier_row, id="tier-row"),
        pytest.param(_forgotten, id="erased-events"),
    ],
)
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
