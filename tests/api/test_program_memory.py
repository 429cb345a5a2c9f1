"""Given processes (replicas) that remember a tenant's program and that it has no tiers,
when an operator configures the program or creates the first tier, then the process that
made the change uses it at once, and every other listening process as soon as the
announcement arrives, long before its cache time. A remembered program costs the points
mutations no read of the program table."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from api.settings import Settings
from tests.support.earning import adjust, configure, earn, order, points_of, record
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.processes import second_process, while_table_is_locked

CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
TIER = "query Tier($id: ID!) { member(id: $id) { tier { current { name } since } } }"


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """A second process on the same database that trusts what it remembers for a minute:
    only an announcement can make it forget within a test."""
    async with second_process(settings, program_cache_seconds=60) as client:
        yield client


@pytest.fixture
async def deaf(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """A process that trusts what it remembers for a minute and hears no announcements: what
    it knows of its own changes, it knows without them."""
    async with second_process(settings, listening=False, program_cache_seconds=60) as client:
        yield client


async def _enroll(gql: GraphQLClient, kit: TenantKit) -> str:
    data = await gql(
        "mutation E($input: EnrollMemberInput!) { enrollMember(input: $input) { member { id } } }",
        {"input": {"externalId": uuid.uuid4().hex}},
        token=kit.secret_key,
    )
    member_id: str = data["enrollMember"]["member"]["id"]
    return member_id


async def _earned(gql: GraphQLClient, kit: TenantKit, member_id: str) -> tuple[int, int]:
    """Points and program version of a fresh order of 10.00 for the member."""
    result = await record(gql, kit, order(uuid.uuid4().hex, member_id, ("SKU", 1, 1000)))
    assert result["errors"] == [], result
    return result["pointsDelta"], result["order"]["configVersion"]


async def _until(check: Callable[[], Awaitable[bool]], wait: float) -> bool:
    """Asks until `check` holds or `wait` seconds pass (an announcement crosses the database
    server: it is not there the instant the change commits)."""
    deadline = asyncio.get_running_loop().time() + wait
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _create_tier(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> None:
    data = await gql(CREATE_TIER, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    assert data["createTier"]["errors"] == [], data


async def _tier_since(gql: GraphQLClient, kit: TenantKit, member_id: str) -> Any:
    """When the member was last evaluated into its tier (None: never, or no tiers)."""
    tier = (await gql(TIER, {"id": member_id}, token=kit.secret_key))["member"]["tier"]
    return tier["since"] if tier is not None else None


async def test_a_remembered_program_costs_adjustments_no_read_of_it(gql, tenant, services):
    # given a tenant whose program and tiers an adjustment has read once
    member_id = await _enroll(gql, tenant)
    assert (await adjust(gql, tenant, member_id, 5))["errors"] == []

    # when points are adjusted while the program and tier tables are locked
    async def adjust_twice() -> list[dict]:
        return [await adjust(gql, tenant, member_id, 5), await adjust(gql, tenant, member_id, -3)]

    for table in ("program_config", "tiers"):
        results, waited = await while_table_is_locked(services, tenant, table, adjust_twice)

        # then they are done without waiting for either table
        assert not waited, table
        assert [r["errors"] for r in results] == [[], []]
    assert (await points_of(gql, tenant, member_id))["available"] == 9


async def test_the_configuring_process_uses_a_new_program_at_once(deaf, tenant):
    gql = deaf
    # given a process that has used the program for an order and an adjustment
    member_id = await _enroll(gql, tenant)
    first = await configure(gql, tenant, pointsPerUnit="1")
    assert await _earned(gql, tenant, member_id) == (10, first)
    assert (await adjust(gql, tenant, member_id, 4))["errors"] == []

    # when it configures the program
    second = await configure(
        gql, tenant, pointsPerUnit="3", lotExpiry={"after": 30, "unit": "DAYS"}
    )

    # then its very next order and adjustment follow the new version
    assert await _earned(gql, tenant, member_id) == (30, second)
    assert (await adjust(gql, tenant, member_id, 6))["errors"] == []
    expiring = (await points_of(gql, tenant, member_id, days=31))["expiring"]
    assert sum(e["points"] for e in expiring) == 36


async def test_another_process_uses_a_new_program_once_it_is_announced(gql, other, tenant):
    # given another process that has used the program for an order
    member_id = await _enroll(gql, tenant)
    first = await configure(gql, tenant, pointsPerUnit="1")
    assert await _earned(other, tenant, member_id) == (10, first)

    # when this process configures the program
    second = await configure(gql, tenant, pointsPerUnit="2")

    # then the other process earns at the new rate as soon as the announcement arrives (it
    # would use the old one for a minute otherwise)
    async def new_rate() -> bool:
        return await _earned(other, tenant, member_id) == (20, second)

    assert await _until(new_rate, wait=10)


async def test_a_failed_configuration_changes_nothing_anywhere(gql, other, tenant):
    # given both processes having used the program
    member_id = await _enroll(gql, tenant)
    first = await configure(gql, tenant, pointsPerUnit="1")
    assert await _earned(gql, tenant, member_id) == (10, first)
    assert await _earned(other, tenant, member_id) == (10, first)

    # when a configuration is refused
    data = await gql(
        "mutation C($input: ConfigureProgramInput!) {"
        " configureProgram(input: $input) { errors { code } } }",
        {"input": {"pointsPerUnit": "-1"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert data["configureProgram"]["errors"] != []

    # then both go on with the program as it was
    assert await _earned(gql, tenant, member_id) == (10, first)
    assert await _earned(other, tenant, member_id) == (10, first)


async def test_the_process_creating_the_first_tier_evaluates_credits_at_once(deaf, tenant):
    gql = deaf
    # given a tenant without tiers whose credits this process has made
    member_id = await _enroll(gql, tenant)
    assert (await adjust(gql, tenant, member_id, 5))["errors"] == []
    await earn(gql, tenant, order(uuid.uuid4().hex, member_id, ("SKU", 1, 1000)))
    assert await _tier_since(gql, tenant, member_id) is None

    # when it creates the first tier
    await _create_tier(gql, tenant, name="Member", threshold=0)

    # then its next credit evaluates the member into it
    assert (await adjust(gql, tenant, member_id, 1))["errors"] == []
    assert await _tier_since(gql, tenant, member_id) is not None


async def test_another_process_evaluates_credits_once_the_first_tier_is_announced(
    gql, other, tenant
):
    # given another process that has made credits for a tenant without tiers
    member_id = await _enroll(gql, tenant)
    assert (await adjust(other, tenant, member_id, 5))["errors"] == []
    assert await _tier_since(other, tenant, member_id) is None

    # when this process creates the first tier (doubling what orders earn)
    await _create_tier(gql, tenant, name="Member", threshold=0, multiplier="2")

    # then the other process's credits evaluate the member into it as soon as the
    # announcement arrives, and its orders earn the tier's multiplier
    async def evaluated() -> bool:
        assert (await adjust(other, tenant, member_id, 1))["errors"] == []
        return await _tier_since(other, tenant, member_id) is not None

    assert await _until(evaluated, wait=10)
    points, _ = await _earned(other, tenant, member_id)
    assert points == 20
