"""Given a page of members that asks for each member's points, tier and available rewards,
then the page reads them in batches (one Redis round trip for the balances, one statement
for the misses, one unit of work for the tiers, one for the held tiers and one for the
rewards) and answers exactly what asking for each member alone answers, with Redis up,
stalled or gone."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.schema.common.ids import uuid_of
from api.services import Services
from domain.catalog import Shopper, availabilities, availability
from domain.ledger import Balance
from domain.points import read_balances
from domain.tier_evaluation import (
    member_standing,
    member_standings,
    member_tier_name,
    member_tier_names,
)
from persistence.balance_cache import balance_key
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import code_of, make_reward
from tests.support.round_trips import counting

FIELDS = """
  id status
  points { available pending lifetime }
  tier {
    current { name } next { name } since retainBy
    progress { metric value threshold remaining }
    retention { by value threshold remaining }
  }
"""
PAGE = "query Page { members(first: 50) { edges { node {" + FIELDS + "} } } }"
ONE = "query One($id: ID!) { member(id: $id) {" + FIELDS + "} }"
POINTS_PAGE = "query { members(first: 50) { edges { node { id points { available } } } } }"
POINTS_OF_ONE = "query($id: ID!) { member(id: $id) { points { available } } }"
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { errors { code } }
}
"""
ERASE = "mutation($input: EraseMemberInput!) { eraseMember(input: $input) { errors { code } } }"


async def _adjust(client: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> None:
    data = await client(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == [], data


async def _tier(client: GraphQLClient, kit: TenantKit, name: str, threshold: int) -> None:
    data = await client(
        CREATE_TIER,
        {"input": {"name": name, "threshold": threshold}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert data["createTier"]["errors"] == [], data


async def _page(client: GraphQLClient, kit: TenantKit, query: str = PAGE) -> list[dict]:
    data = await client(query, token=kit.secret_key)
    return [edge["node"] for edge in data["members"]["edges"]]


async def _uow(services: Services, kit: TenantKit) -> PgUnitOfWorkFactory:
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    return PgUnitOfWorkFactory(services.pool, tenant.schema_name, services.programs)


async def _members_in_tiers(gql: GraphQLClient, kit: TenantKit, enroll: Any) -> list[str]:
    """Members enrolled before the tiers (never evaluated), in Silver and in Gold, one
    without points and one erased."""
    never_evaluated = await enroll(kit, points=150)
    without_points = await enroll(kit)
    erased = await enroll(kit, points=40)
    await _tier(gql, kit, "Silver", 100)
    await _tier(gql, kit, "Gold", 500)
    silver = await enroll(kit, points=120)
    gold = await enroll(kit, points=300)
    await _adjust(gql, kit, gold, 300)
    erase = await gql(ERASE, {"input": {"id": erased}}, token=kit.secret_key)
    assert erase["eraseMember"]["errors"] == []
    return [never_evaluated, without_points, erased, silver, gold]


async def test_a_page_answers_what_each_member_alone_answers(gql, tenant, enroll):
    # given members in different tiers, some never evaluated, one erased
    members = await _members_in_tiers(gql, tenant, enroll)

    # when the page is read, and each member alone
    page = await _page(gql, tenant)
    alone = [(await gql(ONE, {"id": m}, token=tenant.secret_key))["member"] for m in members]

    # then the answers are the same
    assert [n["id"] for n in page] == members
    assert page == alone
    tiers = [n["tier"]["current"]["name"] if n["tier"]["current"] else None for n in page]
    assert tiers == ["Silver", None, None, "Silver", "Gold"]
    assert [n["points"]["available"] for n in page] == [150, 0, 40, 120, 600]


async def test_batched_standings_are_member_standing_of_each(gql, services, tenant, enroll):
    members = [uuid_of(m, "Member") for m in await _members_in_tiers(gql, tenant, enroll)]
    unknown = uuid4()
    uow = await _uow(services, tenant)
    now = services.clock.now()

    batched = await member_standings(uow, [*members, unknown, members[0]], now)

    assert set(batched) == {*members, unknown}
    for member_id in [*members, unknown]:
        assert batched[member_id] == await member_standing(uow, member_id, now)


async def test_without_tiers_the_batch_answers_none_from_memory(gql, services, tenant, enroll):
    members = [uuid_of(await enroll(tenant, points=5), "Member") for _ in range(3)]
    uow = await _uow(services, tenant)
    assert await member_standing(uow, members[0], services.clock.now()) is None  # remembered

    with counting(pytest.MonkeyPatch()) as seen:
        found = await member_standings(uow, members, services.clock.now())

    assert found == dict.fromkeys(members)
    assert seen.reads["PgTierRepository.all"] == 0


async def test_a_page_costs_one_redis_round_trip_and_one_balance_statement(
    gql, services, tenant, enroll
):
    # given members with tiers and points, three of them no longer in the cache
    members = [await enroll(tenant, points=10 * (i + 1)) for i in range(6)]
    await _tier(gql, tenant, "Silver", 30)
    missing = [uuid_of(m, "Member") for m in members[::2]]
    await services.redis.delete(*(balance_key(UUID(tenant.id), m, "points") for m in missing))

    # when the page is read
    with counting(pytest.MonkeyPatch()) as seen:
        page = await _page(gql, tenant)

    # then one pipeline read every balance, one statement read the misses, and one
    # pipeline wrote them back; the tiers took one unit of work
    assert [n["points"]["available"] for n in page] == [10, 20, 30, 40, 50, 60]
    trips = seen.redis_of(tenant.id)
    assert len(trips) == 2, trips
    assert sorted(name for name, _ in trips[0]) == ["HGETALL"] * 6
    assert sorted(name for name, _ in trips[1]) == ["EVALSHA"] * 3
    assert seen.reads["PgLedgerRepository.read_balances"] == 1
    assert seen.reads["PgLedgerRepository.read_balance"] == 0
    assert seen.reads["PgTierRepository.standings_of"] == 1
    assert seen.reads["PgTierRepository.member_tier"] == 0
    assert seen.reads["PgTierRepository.metric_value"] == 0
    assert seen.units_of_work == 3  # the page, the misses, the tiers

    # and the misses were filled back: the next page reads Redis alone for the balances
    for member_id, available in zip(missing, (10, 30, 50), strict=True):
        raw = await services.redis.hgetall(balance_key(UUID(tenant.id), member_id, "points"))
        assert int(raw[b"a"]) == available
    with counting(pytest.MonkeyPatch()) as again:
        assert await _page(gql, tenant) == page
    assert len(again.redis_of(tenant.id)) == 1
    assert again.reads["PgLedgerRepository.read_balances"] == 0
    assert again.units_of_work == 2


async def test_a_single_member_keeps_its_direct_read(gql, tenant, enroll):
    member_id = await enroll(tenant, points=7)

    with counting(pytest.MonkeyPatch()) as seen:
        data = await gql(POINTS_OF_ONE, {"id": member_id}, token=tenant.secret_key)

    assert data["member"]["points"]["available"] == 7
    assert seen.redis_of(tenant.id) == [
        [("HGETALL", balance_key(UUID(tenant.id), uuid_of(member_id, "Member"), "points"))]
    ]
    assert seen.reads["PgLedgerRepository.read_balances"] == 0


async def test_an_unknown_wallet_is_refused_for_each_member_as_for_one(gql, tenant, enroll):
    member_id = await enroll(tenant, points=7)
    query = (
        'query { members(first: 5) { edges { node { points(wallet: "miles") { available } } } } }'
    )

    errors = await gql.errors(query, token=tenant.secret_key)
    alone = await gql.errors(
        'query($id: ID!) { member(id: $id) { points(wallet: "miles") { available } } }',
        {"id": member_id},
        token=tenant.secret_key,
    )

    assert {e["message"] for e in errors} == {e["message"] for e in alone}


async def test_balances_of_another_wallet_and_of_unknown_members(gql, services, tenant, enroll):
    member_id = uuid_of(await enroll(tenant, points=9), "Member")
    other = uuid_of(await enroll(tenant), "Member")
    uow = await _uow(services, tenant)
    async with uow() as work:
        stamps = await work.ledger.lock_balance(member_id, "stamps")
        stamps = stamps.apply(3, 1, 4)
        await work.ledger.save_balance(stamps)
    unknown = uuid4()
    cache = services.balances.for_tenant(UUID(tenant.id))

    found = await read_balances(uow, cache, [member_id, other, unknown, member_id], "stamps")

    assert found == {
        member_id: stamps,
        other: Balance.empty(other, "stamps"),
        unknown: Balance.empty(unknown, "stamps"),
    }
    assert await cache.get(member_id, "stamps") == stamps  # written back
    assert (await read_balances(uow, cache, [member_id], "points"))[member_id].available == 9


async def test_a_members_referees_and_their_referrer_are_read_in_batches(gql, tenant):
    # given a referrer whose three friends were given 50 points each for signing up
    configured = await gql(
        """mutation($input: ConfigureReferralsInput!) {
             configureReferrals(input: $input) { errors { code } } }""",
        {"input": {"trigger": "SIGNUP", "refereeReward": {"points": 50}}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureReferrals"]["errors"] == []
    enrolled = """mutation($input: EnrollMemberInput!) {
        enrollMember(input: $input) { member { id referralCode } errors { code } } }"""
    made = await gql(
        enrolled, {"input": {"name": "Ada Lovelace", "externalId": "ada"}}, token=tenant.secret_key
    )
    referrer = made["enrollMember"]["member"]
    for name in ("Bob Smith", "Cy Young", "Di Prince"):
        friend = await gql(
            enrolled,
            {"input": {"name": name, "externalId": name, "referralCode": referrer["referralCode"]}},
            token=tenant.secret_key,
        )
        assert friend["enrollMember"]["errors"] == [], friend
    query = """query($id: ID!) { member(id: $id) { referrals(first: 10) { nodes {
        referee { points { available } referredBy { id points { available } } } } } } }"""

    # when the referrer's referrals are read with each friend's points and referrer
    with counting(pytest.MonkeyPatch()) as seen:
        data = await gql(query, {"id": referrer["id"]}, token=tenant.secret_key)

    # then the friends' balances are one round trip, and their referrer's one more
    nodes = data["member"]["referrals"]["nodes"]
    assert [n["referee"]["points"]["available"] for n in nodes] == [50, 50, 50]
    assert {n["referee"]["referredBy"]["id"] for n in nodes} == {referrer["id"]}
    trips = seen.redis_of(tenant.id)
    assert sorted(len(trip) for trip in trips) == [1, 3], trips
    assert seen.reads["PgLedgerRepository.read_balance"] == 0


# --- Redis stalled or gone -----------------------------------------------------------------


async def test_with_redis_gone_a_page_is_read_from_postgres(flaky, own_redis, tenant, enroll):
    client, running = flaky
    members = [await _enroll_on(client, tenant, points) for points in (5, 6, 7)]
    own_redis.stop()

    page = await _page(client, tenant, POINTS_PAGE)
    again = await _page(client, tenant, POINTS_PAGE)  # the breaker is open: no timeout

    assert [n["id"] for n in page] == members
    assert [n["points"]["available"] for n in page] == [5, 6, 7]
    assert again == page
    assert running.balances.breaker.open


async def test_nothing_stale_survives_a_stall_of_a_page(flaky, own_redis, tenant):
    client, running = flaky
    member_id = await _enroll_on(client, tenant, 10)
    assert (await _page(client, tenant, POINTS_PAGE))[0]["points"]["available"] == 10

    assert own_redis.proc is not None
    os.kill(own_redis.proc.pid, signal.SIGSTOP)  # Redis hangs: the write-back times out
    try:
        # The first write-back times out (and may still land when Redis wakes up); the
        # second is not even tried while the breaker is open: Redis keeps 10 or 15.
        await _adjust(client, tenant, member_id, 5)
        await _adjust(client, tenant, member_id, 5)
        stalled = await _page(client, tenant, POINTS_PAGE)
    finally:
        os.kill(own_redis.proc.pid, signal.SIGCONT)
    await asyncio.sleep(0.3)  # past the breaker's cooldown: the cache is tried again

    assert stalled[0]["points"]["available"] == 20
    assert (await _page(client, tenant, POINTS_PAGE))[0]["points"]["available"] == 20
    assert not running.balances.breaker.open


async def _enroll_on(client: GraphQLClient, kit: TenantKit, points: int) -> str:
    data = await client(
        "mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { member { id } } }",
        {"input": {"externalId": uuid4().hex}},
        token=kit.secret_key,
    )
    member_id: str = data["enrollMember"]["member"]["id"]
    await _adjust(client, kit, member_id, points)
    return member_id


# --- available rewards ---------------------------------------------------------------------

REWARDS_FIELDS = "id availableRewards { reward { name } canRedeem pointsMissing limitReached }"
REWARDS_PAGE = (
    "query RewardsPage($first: Int!) { members(first: $first) { edges { node {"
    + REWARDS_FIELDS
    + "} } } }"
)
# A directive keeps the query from the plan: graphql-core's executor answers it.
REWARDS_PAGE_EXECUTED = (
    "query RewardsPageExecuted($first: Int!) { members(first: $first) { edges {"
    " node @include(if: true) {" + REWARDS_FIELDS + "} } } }"
)
REWARDS_OF_ONE = "query RewardsOfOne($id: ID!) { member(id: $id) {" + REWARDS_FIELDS + "} }"


async def _rewards_page(
    client: GraphQLClient, kit: TenantKit, first: int, query: str = REWARDS_PAGE
) -> list[dict]:
    data = await client(query, {"first": first}, token=kit.secret_key)
    return [edge["node"] for edge in data["members"]["edges"]]


async def _catalog_with_gates(gql: GraphQLClient, kit: TenantKit) -> str:
    """Silver and Gold tiers; rewards for everyone (one of them once per member), for Silver
    and Gold, for Gold alone. Returns the once-per-member reward's id."""
    await _tier(gql, kit, "Silver", 100)
    await _tier(gql, kit, "Gold", 500)
    once = await make_reward(gql, kit, name="Once", pointsCost=50, perMemberLimit=1)
    await make_reward(gql, kit, name="Dear", pointsCost=1000)
    both = ["Silver", "Gold"]
    await make_reward(gql, kit, name="Silver gift", pointsCost=100, eligibleTiers=both)
    await make_reward(gql, kit, name="Gold gift", pointsCost=200, eligibleTiers=["Gold"])
    return once


async def test_a_page_of_available_rewards_answers_what_each_member_alone_answers(
    gql, tenant, enroll
):
    # given a member enrolled before the tiers (never evaluated: they hold none, though
    # their points earn Silver), members without a tier, in Silver and in Gold, and one who
    # reached the limit of a once-per-member reward
    never_evaluated = await enroll(tenant, points=150)
    once = await _catalog_with_gates(gql, tenant)
    members = [
        never_evaluated,
        await enroll(tenant),
        await enroll(tenant, points=120),
        await enroll(tenant, points=600),
        await enroll(tenant, points=300),
    ]
    await code_of(gql, tenant, once, members[4])

    # when the page is read, through the plan and through graphql-core's executor, and
    # each member alone
    page = await _rewards_page(gql, tenant, 50)
    executed = await _rewards_page(gql, tenant, 50, REWARDS_PAGE_EXECUTED)
    alone = [
        (await gql(REWARDS_OF_ONE, {"id": m}, token=tenant.secret_key))["member"] for m in members
    ]

    # then the answers are the same, each member's with their own points, tier and limits
    assert [n["id"] for n in page] == members
    assert page == alone
    assert executed == alone
    table = [
        [(x["reward"]["name"], x["canRedeem"], x["pointsMissing"], x["limitReached"]) for x in n]
        for n in (n["availableRewards"] for n in page)
    ]
    assert table == [
        [("Once", True, 0, False), ("Dear", False, 850, False)],
        [("Once", False, 50, False), ("Dear", False, 1000, False)],
        [
            ("Once", True, 0, False),
            ("Dear", False, 880, False),
            ("Silver gift", True, 0, False),
        ],
        [
            ("Once", True, 0, False),
            ("Dear", False, 400, False),
            ("Silver gift", True, 0, False),
            ("Gold gift", True, 0, False),
        ],
        [
            ("Once", False, 0, True),
            ("Dear", False, 750, False),
            ("Silver gift", True, 0, False),
        ],
    ]


@pytest.mark.parametrize("query", [REWARDS_PAGE, REWARDS_PAGE_EXECUTED], ids=["plan", "executor"])
async def test_a_page_of_available_rewards_costs_the_same_for_3_members_as_for_12(
    gql, tenant, enroll, query
):
    # given twelve members of different points, some of whom reached a limit
    once = await _catalog_with_gates(gql, tenant)
    members = [await enroll(tenant, points=60 * (i + 1)) for i in range(12)]
    for member in members[::4]:
        await code_of(gql, tenant, once, member)

    # when a page of 3 and a page of 12 are read
    with counting(pytest.MonkeyPatch()) as three:
        assert len(await _rewards_page(gql, tenant, 3, query)) == 3
    with counting(pytest.MonkeyPatch()) as twelve:
        assert len(await _rewards_page(gql, tenant, 12, query)) == 12

    # then both cost the same few round trips: the members, their balances (one Redis
    # round trip), their held tiers and their rewards with the limits' counts
    for seen in (three, twelve):
        assert seen.units_of_work == 3, seen
        assert len(seen.redis_of(tenant.id)) == 1, seen.redis
        assert seen.reads["PgTierRepository.held_by"] == 1
        assert seen.reads["PgTierRepository.held"] == 0
        assert seen.reads["PgRedemptionRepository.counts_for_members"] == 1


async def test_batched_offers_are_availability_of_each(gql, services, tenant, enroll):
    # given members of different points and tiers, one never evaluated, one at a limit
    never_evaluated = await enroll(tenant, points=150)
    once = await _catalog_with_gates(gql, tenant)
    listed = [never_evaluated, *[await enroll(tenant, points=p) for p in (0, 120, 600)]]
    await code_of(gql, tenant, once, listed[2])
    members = [uuid_of(m, "Member") for m in listed]
    uow = await _uow(services, tenant)
    now = services.clock.now()

    # when their tiers and offers are read in batches
    tiers = await member_tier_names(uow, [*members, members[0]])
    shoppers = [Shopper(m, 100 * i, tiers[m]) for i, m in enumerate(members)]
    batched = await availabilities(uow, now, shoppers, 3)

    # then each is what reading that member alone gives
    assert tiers == {m: await member_tier_name(uow, m) for m in members}
    assert list(tiers.values()) == [None, None, "Silver", "Gold"]
    for s in shoppers:
        alone = await availability(
            uow, now, member_id=s.member_id, spendable=s.spendable, limit=3, tier=s.tier
        )
        assert batched[s.member_id] == alone
    assert [a.limit_reached for a in batched[members[2]]] == [True, False, False]


async def test_batched_counts_are_each_members_own(gql, services, tenant, enroll):
    # given a reward redeemed twice by one member (once cancelled) and once by another
    once = await make_reward(gql, tenant, name="Thrice", pointsCost=10, perMemberLimit=3)
    other = await make_reward(gql, tenant, name="Other", pointsCost=10)
    first, second, none = [await enroll(tenant, points=100) for _ in range(3)]
    await code_of(gql, tenant, once, first)
    cancelled = await code_of(gql, tenant, once, first)
    await gql(CANCEL, {"input": {"code": cancelled}}, token=tenant.secret_key)
    await code_of(gql, tenant, once, second)
    await code_of(gql, tenant, other, second)
    members = [uuid_of(m, "Member") for m in (first, second, none)]
    rewards = [uuid_of(r, "Reward") for r in (once, other)]
    later = services.clock.now() + timedelta(days=1)

    # when they are counted for every member and reward, the second since a later time
    async with (await _uow(services, tenant))() as uow:
        counts = await uow.redemptions.counts_for_members(
            [*members, members[0]], {rewards[0]: None, rewards[1]: later}
        )

    # then each member has their own count, cancelled ones left out, of every reward
    assert counts == {
        (members[0], rewards[0]): 1,
        (members[0], rewards[1]): 0,
        (members[1], rewards[0]): 1,
        (members[1], rewards[1]): 0,
        (members[2], rewards[0]): 0,
        (members[2], rewards[1]): 0,
    }
