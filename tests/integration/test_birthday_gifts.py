"""Birthday gifts: on a member's birthday the worker gives the birthday action's points and a
catalog reward issued free, the one of the member's tier else the default, once per
birthday however many workers run."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from api.schema.common.ids import uuid_of
from domain.birthday_gifts import celebrate_birthday
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import CLOCK_START
from tests.integration.test_worker import work
from tests.support.earning import adjust, configure, enroll
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import make_reward

CONFIGURE = (
    Path(__file__).resolve().parents[2]
    / "graphql"
    / "operations"
    / "agency"
    / "ConfigureBirthdayGift.graphql"
).read_text()
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
GIFTS = """
query Gifts($id: ID!) {
  member(id: $id) {
    points { available }
    tier { current { name } }
    redemptions { nodes { code status reward { name } } }
  }
}
"""
BIRTHDAY = "1990-03-02"  # CLOCK_START's day


async def _gift(gql: GraphQLClient, kit: TenantKit, **fields) -> dict:
    data = await gql(CONFIGURE, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    return data["configureProgram"]


async def _tiers(gql: GraphQLClient, kit: TenantKit) -> None:
    for name, threshold in (("Silver", 100), ("Gold", 500)):
        data = await gql(
            CREATE_TIER,
            {"input": {"name": name, "threshold": threshold}},
            token=kit.operator_token,
            tenant=kit.slug,
        )
        assert data["createTier"]["errors"] == [], data


async def _gifts_of(gql: GraphQLClient, kit: TenantKit, member_id: str) -> tuple[int, list[str]]:
    member = (await gql(GIFTS, {"id": member_id}, token=kit.secret_key))["member"]
    return member["points"]["available"], [
        r["reward"]["name"] for r in member["redemptions"]["nodes"]
    ]


async def test_each_tier_gets_its_own_birthday_gift_with_the_points(clocked, tenant):
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    # given a birthday action of 100 points, a cupcake for everyone and 20% off for Gold
    await configure(gql, tenant, actions=[{"key": "birthday", "points": 100}])
    await _tiers(gql, tenant)
    cupcake = await make_reward(
        gql, tenant, name="Birthday cupcake", kind="CUSTOM", value=None, pointsCost=50
    )
    gold_gift = await make_reward(
        gql,
        tenant,
        name="Gold birthday 20% off",
        kind="PERCENTAGE",
        percentage="20",
        value=None,
        pointsCost=200,
        eligibleTiers=["Gold"],
    )
    configured = await _gift(
        gql,
        tenant,
        birthdayGift={"rewardId": cupcake, "byTier": [{"tier": "gold", "rewardId": gold_gift}]},
    )
    assert configured["errors"] == [], configured
    assert configured["program"]["birthdayGift"]["byTier"][0]["reward"]["name"] == (
        "Gold birthday 20% off"
    )
    # and members born today in no tier, in Silver and in Gold, and one born tomorrow
    plain = await enroll(gql, tenant, birthday=BIRTHDAY)
    silver = await enroll(gql, tenant, birthday=BIRTHDAY)
    gold = await enroll(gql, tenant, birthday=BIRTHDAY)
    later = await enroll(gql, tenant, birthday="1990-03-03")
    await adjust(gql, tenant, silver, 150)
    await adjust(gql, tenant, gold, 600)

    # when the worker runs, and again
    first, again = await work(services, tenant), await work(services, tenant)

    # then each member born today got the points and the gift of their tier, once
    assert (first.birthdays, again.birthdays) == (3, 0)
    assert await _gifts_of(gql, tenant, plain) == (100, ["Birthday cupcake"])
    assert await _gifts_of(gql, tenant, silver) == (250, ["Birthday cupcake"])
    assert await _gifts_of(gql, tenant, gold) == (700, ["Gold birthday 20% off"])
    assert await _gifts_of(gql, tenant, later) == (0, [])

    # and the next day the member born then gets theirs
    clock.advance(timedelta(days=1))
    assert (await work(services, tenant)).birthdays == 1
    assert await _gifts_of(gql, tenant, later) == (100, ["Birthday cupcake"])
    await assert_ledger_matches_balances(services, tenant)


async def test_a_gift_alone_comes_once_a_year_even_with_workers_racing(clocked, tenant):
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    # given a birthday gift and no birthday action, and a member born today
    cupcake = await make_reward(
        gql, tenant, name="Cupcake", kind="CUSTOM", value=None, pointsCost=50
    )
    assert (await _gift(gql, tenant, birthdayGift={"rewardId": cupcake}))["errors"] == []
    member = await enroll(gql, tenant, birthday=BIRTHDAY)
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    uow = PgUnitOfWorkFactory(services.pool, schema, services.programs)
    cache = services.balances.for_tenant(UUID(tenant.id))
    member_id = uuid_of(member, "Member")

    # when four workers celebrate the birthday at once
    done = await asyncio.gather(
        *(celebrate_birthday(uow, cache, clock, member_id, CLOCK_START.date()) for _ in range(4))
    )

    # then one of them gave the gift, and the member has no points left over from it
    assert sorted(done) == [False, False, False, True]
    assert await _gifts_of(gql, tenant, member) == (0, ["Cupcake"])
    assert (await work(services, tenant)).birthdays == 0

    # and a year later it comes again
    clock.advance(timedelta(days=365))
    assert (await work(services, tenant)).birthdays == 1
    assert await _gifts_of(gql, tenant, member) == (0, ["Cupcake", "Cupcake"])
    await assert_ledger_matches_balances(services, tenant)


async def test_a_gift_out_of_stock_leaves_the_points(clocked, tenant):
    gql, services = clocked.gql, clocked.services
    # given a birthday action and a gift with none left
    await configure(gql, tenant, actions=[{"key": "birthday", "points": 100}])
    gone = await make_reward(
        gql, tenant, name="Last cupcake", kind="CUSTOM", value=None, pointsCost=50, stock=1
    )
    assert (await _gift(gql, tenant, birthdayGift={"rewardId": gone}))["errors"] == []
    first = await enroll(gql, tenant, birthday=BIRTHDAY)
    second = await enroll(gql, tenant, birthday=BIRTHDAY)

    # when the worker runs
    assert (await work(services, tenant)).birthdays == 2

    # then one member got the last gift, both the points
    results = [await _gifts_of(gql, tenant, m) for m in (first, second)]
    assert sorted(results) == [(100, []), (100, ["Last cupcake"])]


async def test_a_birthday_gift_that_cannot_work_is_refused(gql, tenant):
    cupcake = await make_reward(
        gql, tenant, name="Cupcake", kind="CUSTOM", value=None, pointsCost=50
    )
    variable = await make_reward(
        gql,
        tenant,
        name="Cash",
        pointsCost=None,
        value=None,
        minPoints=100,
        maxPoints=500,
        stepPoints=100,
        valuePerStep=100,
    )
    cases = [
        ({}, "INVALID", ["input", "birthdayGift"]),
        (
            {
                "byTier": [
                    {"tier": "Gold", "rewardId": cupcake},
                    {"tier": " gold ", "rewardId": cupcake},
                ]
            },
            "INVALID",
            ["input", "birthdayGift", "byTier", "1", "tier"],
        ),
        ({"rewardId": variable}, "INVALID", ["input", "birthdayGift", "rewardId"]),
        (
            {"byTier": [{"tier": "Gold", "rewardId": variable}]},
            "INVALID",
            ["input", "birthdayGift", "byTier", "0", "rewardId"],
        ),
        (
            {"rewardId": "UmV3YXJkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA"},
            "NOT_FOUND",
            ["input", "birthdayGift", "rewardId"],
        ),
    ]
    for gift, code, field in cases:
        answer = await _gift(gql, tenant, birthdayGift=gift)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, field)], gift

    # and a gift set can be cleared
    assert (await _gift(gql, tenant, birthdayGift={"rewardId": cupcake}))["errors"] == []
    cleared = await _gift(gql, tenant, clearBirthdayGift=True)
    assert cleared["program"]["birthdayGift"] is None
