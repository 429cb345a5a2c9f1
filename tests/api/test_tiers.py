"""VIP tiers end to end: qualifying, keeping and losing a tier as the clock moves, the tier
multiplier on earnings, tier-only rewards, and definition changes that match their preview."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.schema.common.ids import to_global_id
from domain.jobs import JobReport, run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST, CLOCK_START, ENROLL
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) {
    tier { id name threshold multiplier perks archived }
    errors { code field message }
  }
}
"""
UPDATE_TIER = """
mutation UpdateTier($input: UpdateTierInput!) {
  updateTier(input: $input) { tier { id name threshold archived } errors { code field message } }
}
"""
CONFIGURE_TIERS = """
mutation ConfigureTiers($input: ConfigureTiersInput!) {
  configureTiers(input: $input) {
    settings { metric window rollingMonths downgrade graceDays version }
    errors { code field message }
  }
}
"""
PREVIEW = """
query Preview($input: PreviewTierChangeInput!) {
  previewTierChange(input: $input) { members up down unchanged keptUntilDue }
}
"""
PROGRAM_TIERS = """
query ProgramTiers {
  program {
    tiers(includeArchived: true) { name threshold multiplier perks archived }
    tierSettings { version }
  }
}
"""
TIER = """
query Tier($id: ID!) {
  member(id: $id) {
    tier {
      current { name }
      next { name }
      since
      progress { metric value threshold remaining }
      retainBy
      retention { by value threshold remaining }
    }
    tierHistory(first: 50) { nodes { fromTier { name } toTier { name } reason at } }
  }
}
"""
RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) {
    pointsDelta
    order { breakdown { rule points } }
    errors { code field message }
  }
}
"""
PREVIEW_ORDER = """
query PreviewOrder($input: RecordOrderInput!) { previewOrder(input: $input) { points } }
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) { reversedPoints errors { code field message } }
}
"""
CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { code } errors { code field message } }
}
"""
AVAILABLE = """
query Available($id: ID!) { member(id: $id) { availableRewards { reward { name } } } }
"""
ISSUE_TOKEN = """
mutation Issue($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code message } }
}
"""
ME = """
query Me { me { tier { current { name perks } next { name } progress { remaining } } } }
"""


# --- helpers --------------------------------------------------------------------------------


async def operator(gql: GraphQLClient, kit: TenantKit, query: str, variables: dict) -> Any:
    return await gql(query, variables, token=kit.operator_token, tenant=kit.slug)


async def create_tier(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> str:
    payload = (await operator(gql, kit, CREATE_TIER, {"input": fields}))["createTier"]
    assert payload["errors"] == [], payload
    tier_id: str = payload["tier"]["id"]
    return tier_id


async def configure(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> dict:
    payload = (await operator(gql, kit, CONFIGURE_TIERS, {"input": fields}))["configureTiers"]
    assert payload["errors"] == [], payload
    settings: dict = payload["settings"]
    return settings


async def adjust(gql: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> None:
    data = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == [], data


async def join(gql: GraphQLClient, kit: TenantKit, points: int = 0) -> str:
    """Enrols a member and gives them points, on this client's clock."""
    data = await gql(ENROLL, {"input": {"externalId": uuid4().hex}}, token=kit.secret_key)
    member_id: str = data["enrollMember"]["member"]["id"]
    if points:
        await adjust(gql, kit, member_id, points)
    return member_id


async def tier_of(gql: GraphQLClient, kit: TenantKit, member_id: str) -> dict:
    member: dict = (await gql(TIER, {"id": member_id}, token=kit.secret_key))["member"]
    return member


def current(member: dict) -> str | None:
    held = member["tier"]["current"]
    return held["name"] if held else None


def moves(member: dict) -> list[tuple[str | None, str | None, str]]:
    """(from, to, reason) of the member's tier history, oldest first."""
    return [
        (
            n["fromTier"]["name"] if n["fromTier"] else None,
            n["toTier"]["name"] if n["toTier"] else None,
            n["reason"],
        )
        for n in reversed(member["tierHistory"]["nodes"])
    ]


async def run_worker(clocked: Any, kit: TenantKit) -> JobReport:
    """One pass of the worker's jobs over this tenant only."""
    tenant = await clocked.services.registry.get(UUID(kit.id))
    assert tenant is not None
    return await run_jobs(
        PgUnitOfWorkFactory(clocked.services.pool, tenant.schema_name),
        clocked.services.balances.for_tenant(tenant.id),
        clocked.clock,
    )


def order(order_id: str, member_id: str, unit_price: int, placed_at: datetime) -> dict:
    return {
        "orderId": order_id,
        "memberId": member_id,
        "currency": "USD",
        "placedAt": placed_at.isoformat(),
        "lines": [{"sku": "tee", "quantity": 1, "unitPrice": unit_price}],
    }


def move_to(clocked: Any, at: datetime) -> None:
    clocked.clock.advance(at - clocked.clock.now())


# --- qualifying -----------------------------------------------------------------------------


async def test_a_member_moves_up_exactly_at_the_threshold(gql, tenant, enroll):
    # given Silver at 100 points earned and Gold at 500, and a member with 99 points
    await create_tier(gql, tenant, name="Silver", threshold=100, perks=["Free shipping"])
    await create_tier(gql, tenant, name="Gold", threshold=500, multiplier="1.5")
    member_id = await join(gql, tenant, points=99)

    # then they hold no tier, one point short of Silver
    before = await tier_of(gql, tenant, member_id)
    assert current(before) is None
    assert before["tier"]["next"] == {"name": "Silver"}
    assert before["tier"]["progress"] == {
        "metric": "POINTS_EARNED",
        "value": "99",
        "threshold": "100",
        "remaining": "1",
    }

    # when they earn that one point
    await adjust(gql, tenant, member_id, 1)

    # then they are Silver at once, with Gold next
    silver = await tier_of(gql, tenant, member_id)
    assert current(silver) == "Silver"
    assert silver["tier"]["progress"]["remaining"] == "400"
    assert silver["tier"]["retainBy"] is None  # lifetime windows keep tiers forever

    # when they reach exactly 500
    await adjust(gql, tenant, member_id, 400)

    # then they are Gold, at the top, and the history has both moves
    gold = await tier_of(gql, tenant, member_id)
    assert current(gold) == "Gold"
    assert gold["tier"]["next"] is None
    assert gold["tier"]["progress"] is None
    assert moves(gold) == [(None, "Silver", "QUALIFIED"), ("Silver", "Gold", "QUALIFIED")]


async def test_concurrent_earnings_cross_the_threshold_once(gql, tenant, enroll):
    # given Gold at 100 points and a member
    await create_tier(gql, tenant, name="Gold", threshold=100)
    member_id = await join(gql, tenant)

    # when ten earnings of 10 points race
    await asyncio.gather(*(adjust(gql, tenant, member_id, 10) for _ in range(10)))

    # then the member is Gold, moved there exactly once
    member = await tier_of(gql, tenant, member_id)
    assert current(member) == "Gold"
    assert moves(member) == [(None, "Gold", "QUALIFIED")]


async def test_the_tier_multiplier_applies_to_what_orders_earn(clocked, tenant):
    # given Gold at 100 points with a 2x multiplier, a Gold member and a member with no tier
    gql = clocked.gql
    await create_tier(gql, tenant, name="Gold", threshold=100, multiplier="2")
    gold = await join(gql, tenant, points=100)
    plain = await join(gql, tenant)

    # when each orders for $10.00 (1 point per dollar)
    preview = await gql(
        PREVIEW_ORDER, {"input": order("p", gold, 1000, CLOCK_START)}, token=tenant.secret_key
    )
    for_gold = await gql(
        RECORD, {"input": order("g-1", gold, 1000, CLOCK_START)}, token=tenant.secret_key
    )
    for_plain = await gql(
        RECORD, {"input": order("p-1", plain, 1000, CLOCK_START)}, token=tenant.secret_key
    )

    # then the Gold member earns double, the tier's share shown in the breakdown
    assert for_gold["recordOrder"]["pointsDelta"] == 20
    assert {"rule": "tier", "points": 10} in for_gold["recordOrder"]["order"]["breakdown"]
    assert preview["previewOrder"]["points"] == 20
    assert for_plain["recordOrder"]["pointsDelta"] == 10


async def test_orders_count_on_an_order_count_metric(clocked, tenant):
    # given tiers on the number of orders
    gql = clocked.gql
    await configure(gql, tenant, metric="ORDER_COUNT")
    await create_tier(gql, tenant, name="Regular", threshold=2)
    member_id = await join(gql, tenant)

    # when the member places one order, then a second
    await gql(RECORD, {"input": order("c-1", member_id, 500, CLOCK_START)}, token=tenant.secret_key)
    one = await tier_of(gql, tenant, member_id)
    await gql(RECORD, {"input": order("c-2", member_id, 500, CLOCK_START)}, token=tenant.secret_key)
    two = await tier_of(gql, tenant, member_id)

    # then the second order makes them Regular
    assert current(one) is None
    assert one["tier"]["progress"]["value"] == "1"
    assert current(two) == "Regular"

    # when the second order is refunded in full
    refunded = await gql(
        REFUND,
        {"input": {"orderId": "c-2", "refundId": "r", "amount": 500}},
        token=tenant.secret_key,
    )
    assert refunded["refundOrder"]["errors"] == []

    # then it no longer counts, but the tier is kept until its time comes (lifetime: never)
    after = await tier_of(gql, tenant, member_id)
    assert current(after) == "Regular"
    assert after["tier"]["progress"] is None


# --- keeping and losing a tier --------------------------------------------------------------


async def test_a_tier_is_lost_only_after_the_rolling_window_and_the_grace(clocked, tenant):
    # given a 12-month rolling window with 30 days of grace, and a member who reaches Gold
    gql = clocked.gql
    await configure(gql, tenant, window="ROLLING_MONTHS", rollingMonths=12, graceDays=30)
    await create_tier(gql, tenant, name="Gold", threshold=1000)
    member_id = await join(gql, tenant, points=1000)
    gold = await tier_of(gql, tenant, member_id)
    kept_until = datetime(2027, 3, 2, 12, 0, tzinfo=UTC) + timedelta(days=30)
    assert current(gold) == "Gold"
    assert datetime.fromisoformat(gold["tier"]["retainBy"]) == kept_until
    assert gold["tier"]["retention"]["remaining"] == "0"

    # when a year passes: the points leave the window but the grace has not run out
    move_to(clocked, datetime(2027, 3, 2, 12, 0, 1, tzinfo=UTC))
    await run_worker(clocked, tenant)

    # then the member is still Gold, and sees what keeping it takes
    year_on = await tier_of(gql, tenant, member_id)
    assert current(year_on) == "Gold"
    assert year_on["tier"]["retention"] == {
        "by": kept_until.isoformat(),
        "value": "0",
        "threshold": "1000",
        "remaining": "1000",
    }

    # when the clock reaches one second before the grace ends
    move_to(clocked, kept_until - timedelta(seconds=1))
    await run_worker(clocked, tenant)
    assert current(await tier_of(gql, tenant, member_id)) == "Gold"

    # when the grace ends
    move_to(clocked, kept_until)
    report = await run_worker(clocked, tenant)

    # then the worker moves the member down, once
    after = await tier_of(gql, tenant, member_id)
    assert current(after) is None
    assert report.tiers_reviewed == 1
    assert moves(after) == [(None, "Gold", "QUALIFIED"), ("Gold", None, "PERIOD_ENDED")]
    assert (await run_worker(clocked, tenant)).tiers_reviewed == 0


async def test_earning_again_within_the_grace_keeps_the_tier(clocked, tenant):
    # given a 12-month window with 30 days of grace and a Gold member whose points have left it
    gql = clocked.gql
    await configure(gql, tenant, window="ROLLING_MONTHS", rollingMonths=12, graceDays=30)
    await create_tier(gql, tenant, name="Gold", threshold=1000)
    member_id = await join(gql, tenant, points=1000)
    move_to(clocked, datetime(2027, 3, 20, tzinfo=UTC))

    # when they earn the threshold again inside the grace
    await adjust(gql, tenant, member_id, 1000)
    move_to(clocked, datetime(2027, 4, 2, 12, 0, tzinfo=UTC))
    await run_worker(clocked, tenant)

    # then they keep Gold, now for a year and the grace from that earning
    member = await tier_of(gql, tenant, member_id)
    assert current(member) == "Gold"
    assert datetime.fromisoformat(member["tier"]["retainBy"]) == datetime(
        2028, 3, 20, tzinfo=UTC
    ) + timedelta(days=30)
    assert moves(member) == [(None, "Gold", "QUALIFIED")]


async def test_a_rolling_window_follows_the_clock(clocked, tenant):
    # given a 3-month rolling window on points earned, and Silver at 500
    gql = clocked.gql
    await configure(gql, tenant, window="ROLLING_MONTHS", rollingMonths=3)
    await create_tier(gql, tenant, name="Silver", threshold=500)
    member_id = await join(gql, tenant, points=300)  # 2 March

    # when they earn 300 more in April
    move_to(clocked, datetime(2026, 4, 15, tzinfo=UTC))
    await adjust(gql, tenant, member_id, 300)

    # then both earnings count and they are Silver
    april = await tier_of(gql, tenant, member_id)
    assert current(april) == "Silver"
    assert april["tier"]["retention"]["value"] == "600"

    # when the March earning leaves the window (3 months on, to the second)
    move_to(clocked, datetime(2026, 6, 2, 12, 0, tzinfo=UTC))
    june = await tier_of(gql, tenant, member_id)

    # then only April's counts; Silver is kept until 3 months after it was last met
    assert june["tier"]["retention"]["value"] == "300"
    assert current(june) == "Silver"
    assert datetime.fromisoformat(june["tier"]["retainBy"]) == datetime(2026, 7, 15, tzinfo=UTC)

    # when that time comes
    move_to(clocked, datetime(2026, 7, 15, tzinfo=UTC))
    await run_worker(clocked, tenant)

    # then April's points have left the window too, and Silver is lost
    july = await tier_of(gql, tenant, member_id)
    assert current(july) is None
    assert july["tier"]["progress"] == {
        "metric": "POINTS_EARNED",
        "value": "0",
        "threshold": "500",
        "remaining": "500",
    }


async def test_a_calendar_year_tier_is_kept_through_the_next_year(clocked, tenant):
    # given money spent over the calendar year, and Gold at $100.00
    gql = clocked.gql
    await configure(gql, tenant, metric="AMOUNT_SPENT", window="CALENDAR_YEAR")
    await create_tier(gql, tenant, name="Gold", threshold=10_000)
    member_id = await join(gql, tenant)

    # when the member spends $100.00 in March 2026
    await gql(
        RECORD, {"input": order("y-1", member_id, 10_000, CLOCK_START)}, token=tenant.secret_key
    )

    # then they are Gold until the end of 2027
    gold = await tier_of(gql, tenant, member_id)
    assert current(gold) == "Gold"
    assert datetime.fromisoformat(gold["tier"]["retainBy"]) == datetime(2028, 1, 1, tzinfo=UTC)

    # when 2027 passes without spending
    move_to(clocked, datetime(2027, 12, 31, 23, 59, tzinfo=UTC))
    await run_worker(clocked, tenant)
    assert current(await tier_of(gql, tenant, member_id)) == "Gold"
    move_to(clocked, datetime(2028, 1, 1, tzinfo=UTC))
    await run_worker(clocked, tenant)

    # then Gold is lost at the turn of 2028
    assert current(await tier_of(gql, tenant, member_id)) is None


async def test_never_downgrade_keeps_tiers(clocked, tenant):
    # given rolling tiers that are never lost
    gql = clocked.gql
    await configure(gql, tenant, window="ROLLING_MONTHS", rollingMonths=1, downgrade="NEVER")
    await create_tier(gql, tenant, name="Gold", threshold=100)
    member_id = await join(gql, tenant, points=100)

    # when years pass
    move_to(clocked, datetime(2030, 1, 1, tzinfo=UTC))
    await run_worker(clocked, tenant)

    # then the member is still Gold, with nothing to do to keep it
    member = await tier_of(gql, tenant, member_id)
    assert current(member) == "Gold"
    assert member["tier"]["retainBy"] is None


# --- tier-only rewards and the mobile app ---------------------------------------------------


async def test_a_tier_only_reward_is_for_members_of_that_tier(gql, tenant, enroll):
    # given a reward for Gold members only, and a member with points but no tier
    await create_tier(gql, tenant, name="Gold", threshold=1000)
    created = await gql(
        CREATE_REWARD,
        {
            "input": {
                "name": "Gold gift",
                "kind": "CUSTOM",
                "pointsCost": 100,
                "eligibleTiers": ["Gold"],
            }
        },
        token=tenant.secret_key,
    )
    reward_id = created["createReward"]["reward"]["id"]
    member_id = await join(gql, tenant, points=999)
    redeem = {"input": {"rewardId": reward_id, "memberId": member_id}}

    # when they redeem it
    refused = (await gql(REDEEM, redeem, token=tenant.secret_key))["redeemReward"]

    # then it is not for them, and not listed for them
    assert [e["code"] for e in refused["errors"]] == ["NOT_ELIGIBLE"]
    listed = await gql(AVAILABLE, {"id": member_id}, token=tenant.secret_key)
    assert listed["member"]["availableRewards"] == []

    # when they reach Gold
    await adjust(gql, tenant, member_id, 1)

    # then it is listed and they can redeem it
    listed = await gql(AVAILABLE, {"id": member_id}, token=tenant.secret_key)
    assert listed["member"]["availableRewards"] == [{"reward": {"name": "Gold gift"}}]
    redeemed = (await gql(REDEEM, redeem, token=tenant.secret_key))["redeemReward"]
    assert redeemed["errors"] == []


async def test_a_member_sees_their_tier_in_the_app(gql, tenant, enroll):
    # given tiers and a Silver member with a member token
    await create_tier(gql, tenant, name="Silver", threshold=10, perks=["Early access"])
    await create_tier(gql, tenant, name="Gold", threshold=100)
    member_id = await join(gql, tenant, points=40)
    issued = await gql(ISSUE_TOKEN, {"input": {"memberId": member_id}}, token=tenant.secret_key)
    token = issued["issueMemberToken"]["token"]

    # when the app reads `me`
    me = (await gql(ME, token=token))["me"]

    # then it shows the tier, its perks and what Gold still takes
    assert me["tier"] == {
        "current": {"name": "Silver", "perks": ["Early access"]},
        "next": {"name": "Gold"},
        "progress": {"remaining": "60"},
    }

    # and the program's tiers are public to the publishable key
    program = (await gql(PROGRAM_TIERS, token=tenant.publishable_key))["program"]
    assert [t["name"] for t in program["tiers"]] == ["Silver", "Gold"]


# --- changing the definitions ---------------------------------------------------------------


TIER_NAME = """
query TierName($id: ID!) { member(id: $id) { tier { current { name threshold } } } }
"""


async def _ranks(
    gql: GraphQLClient, kit: TenantKit, members: list[str], order: list[str]
) -> list[int]:
    ranks = []
    for m in members:
        held = (await gql(TIER_NAME, {"id": m}, token=kit.secret_key))["member"]["tier"]["current"]
        ranks.append(-1 if held is None else order.index(held["name"]))
    return ranks


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("lower-gold", {"up": 1, "down": 0, "kept": 0}),
        ("archive-silver", {"up": 0, "down": 2, "kept": 0}),
        ("add-bronze", {"up": 1, "down": 0, "kept": 0}),
        ("count-orders", {"up": 0, "down": 0, "kept": 3}),
    ],
)
async def test_reevaluation_after_a_definition_change_matches_the_preview(
    clocked, tenant, enroll, change, expected
):
    # given Silver at 100 and Gold at 500, and members at 50, 150, 300 and 600 points
    gql = clocked.gql
    silver = await create_tier(gql, tenant, name="Silver", threshold=100)
    gold = await create_tier(gql, tenant, name="Gold", threshold=500)
    members = [await join(gql, tenant, points=p) for p in (50, 150, 300, 600)]
    order_ = ["Bronze", "Silver", "Gold"]
    before = await _ranks(gql, tenant, members, order_)
    assert before == [-1, 1, 1, 2]
    version = (await gql(PROGRAM_TIERS, token=tenant.secret_key))["program"]["tierSettings"]
    mutation, payload = {
        "lower-gold": (UPDATE_TIER, {"id": gold, "threshold": 250}),
        "archive-silver": (UPDATE_TIER, {"id": silver, "archived": True}),
        "add-bronze": (CREATE_TIER, {"name": "Bronze", "threshold": 40}),
        "count-orders": (CONFIGURE_TIERS, {"metric": "ORDER_COUNT"}),
    }[change]
    key = {UPDATE_TIER: "update", CREATE_TIER: "create", CONFIGURE_TIERS: "settings"}[mutation]

    # when the operator previews the change
    preview = (await operator(gql, tenant, PREVIEW, {"input": {key: payload}}))["previewTierChange"]

    # then it counts the moves, and saves nothing
    counted = {"up": preview["up"], "down": preview["down"], "kept": preview["keptUntilDue"]}
    assert counted == expected
    assert preview["members"] == 4
    assert preview["up"] + preview["down"] + preview["unchanged"] == 4
    after_preview = (await gql(PROGRAM_TIERS, token=tenant.secret_key))["program"]
    assert after_preview["tierSettings"] == version
    assert await _ranks(gql, tenant, members, order_) == before

    # when the change is saved and the worker re-evaluates the members
    saved = await operator(gql, tenant, mutation, {"input": payload})
    assert next(iter(saved.values()))["errors"] == []
    report = await run_worker(clocked, tenant)

    # then exactly the members the preview counted moved, the way it said
    after = await _ranks(gql, tenant, members, order_)
    ups = sum(1 for b, a in zip(before, after, strict=True) if a > b)
    downs = sum(1 for b, a in zip(before, after, strict=True) if a < b)
    assert {"up": ups, "down": downs} == {"up": expected["up"], "down": expected["down"]}
    assert report.tiers_reevaluated == ups + downs
    assert (await run_worker(clocked, tenant)).tiers_reevaluated == 0


async def test_raising_a_threshold_moves_no_one_down_before_their_time(clocked, tenant):
    # given rolling tiers, and a Gold member at 600 points
    gql = clocked.gql
    await configure(gql, tenant, window="ROLLING_MONTHS", rollingMonths=12)
    gold = await create_tier(gql, tenant, name="Gold", threshold=500)
    member_id = await join(gql, tenant, points=600)

    # when Gold is raised to 1000
    preview = (
        await operator(gql, tenant, PREVIEW, {"input": {"update": {"id": gold, "threshold": 1000}}})
    )["previewTierChange"]
    await operator(gql, tenant, UPDATE_TIER, {"input": {"id": gold, "threshold": 1000}})
    await run_worker(clocked, tenant)

    # then the member keeps Gold until it comes due, as the preview said
    assert (preview["down"], preview["keptUntilDue"]) == (0, 1)
    member = await tier_of(gql, tenant, member_id)
    assert current(member) == "Gold"
    assert member["tier"]["retention"]["remaining"] == "400"


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "given", "code", "field"),
    [
        (CREATE_TIER, {"name": "gold", "threshold": 900}, "DUPLICATE", ["input", "name"]),
        (CREATE_TIER, {"name": "Silver", "threshold": 500}, "DUPLICATE", ["input", "threshold"]),
        (CREATE_TIER, {"name": "Silver", "threshold": -5}, "INVALID", ["input", "threshold"]),
        (CREATE_TIER, {"name": " ", "threshold": 5}, "INVALID", ["input", "name"]),
        (
            CREATE_TIER,
            {"name": "Silver", "threshold": 5, "multiplier": "1000"},
            "INVALID",
            ["input", "multiplier"],
        ),
        (
            CREATE_TIER,
            {"name": "Silver", "threshold": 5, "perks": ["x" * 201]},
            "INVALID",
            ["input", "perks"],
        ),
        (UPDATE_TIER, {"id": "bm90LWEtdGllcg", "name": "X"}, "INVALID_ID", ["input", "id"]),
        (
            UPDATE_TIER,
            {"id": to_global_id("Tier", UUID(int=0)), "name": "X"},
            "NOT_FOUND",
            ["input", "id"],
        ),
        (
            CONFIGURE_TIERS,
            {"window": "ROLLING_MONTHS"},
            "REQUIRED",
            ["input", "rollingMonths"],
        ),
        (
            CONFIGURE_TIERS,
            {"window": "ROLLING_MONTHS", "rollingMonths": 0},
            "INVALID",
            ["input", "rollingMonths"],
        ),
        (CONFIGURE_TIERS, {"graceDays": -1}, "INVALID", ["input", "graceDays"]),
    ],
)
async def test_bad_tier_input_gets_a_typed_error_and_writes_nothing(
    gql, tenant, mutation, given, code, field
):
    # given a Gold tier
    await create_tier(gql, tenant, name="Gold", threshold=500)
    before = await gql(PROGRAM_TIERS, token=tenant.secret_key)

    # when an operator sends bad input
    data = await operator(gql, tenant, mutation, {"input": given})

    # then a typed error names the field, and nothing changed
    payload = next(iter(data.values()))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await gql(PROGRAM_TIERS, token=tenant.secret_key) == before


async def test_only_operators_who_manage_the_program_change_tiers(gql, tenant, make_tenant):
    # given the tenant's secret key and a viewer of another tenant
    viewer = await make_tenant(role="VIEWER")

    # when they create tiers
    by_key = await gql.errors(
        CREATE_TIER, {"input": {"name": "Gold", "threshold": 1}}, token=tenant.secret_key
    )
    by_viewer = await gql.errors(
        CREATE_TIER,
        {"input": {"name": "Gold", "threshold": 1}},
        token=viewer.operator_token,
        tenant=viewer.slug,
    )

    # then both are refused and no tier exists
    assert {e["extensions"]["code"] for e in by_key + by_viewer} == {"FORBIDDEN"}
    for kit in (tenant, viewer):
        assert (await gql(PROGRAM_TIERS, token=kit.secret_key))["program"]["tiers"] == []


async def test_a_base_tier_is_held_from_enrolment_and_given_to_earlier_members(clocked, tenant):
    # given a member enrolled before the program had tiers
    gql = clocked.gql
    earlier = await join(gql, tenant)

    # when a base tier (threshold 0) is created, and a member enrols after it
    await create_tier(gql, tenant, name="Member", threshold=0, multiplier="1.2")
    later = await join(gql, tenant)

    # then the new member holds it from enrolment
    assert moves(await tier_of(gql, tenant, later)) == [(None, "Member", "QUALIFIED")]

    # and the earlier member is given it by the worker's pass, once
    first = await run_worker(clocked, tenant)
    second = await run_worker(clocked, tenant)
    member = await tier_of(gql, tenant, earlier)
    assert current(member) == "Member"
    assert moves(member) == [(None, "Member", "QUALIFIED")]
    assert (first.tiers_reevaluated, second.tiers_reevaluated) == (1, 0)

    # and its multiplier applies to their first order
    recorded = await gql(
        RECORD, {"input": order("b-1", earlier, 1000, CLOCK_START)}, token=tenant.secret_key
    )
    assert recorded["recordOrder"]["pointsDelta"] == 12


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (
            {
                "create": {"name": "Bronze", "threshold": 10},
                "settings": {"metric": "ORDER_COUNT"},
            },
            "create",
        ),
        ({}, "create"),
        ({"settings": {"window": "ROLLING_MONTHS"}}, "rollingMonths"),
        ({"update": {"id": "bm90LWEtdGllcg", "name": "X"}}, "update"),
    ],
)
async def test_a_bad_preview_is_refused_with_a_code(gql, tenant, given, field):
    # given an operator
    # when they preview something that is not exactly one valid change
    errors = await gql.errors(
        PREVIEW, {"input": given}, token=tenant.operator_token, tenant=tenant.slug
    )

    # then the field is refused with a code, not a crash
    [error] = errors
    assert error["extensions"]["code"] in {"INVALID", "REQUIRED", "INVALID_ID"}
    assert error["extensions"]["field"][0] == field


TIER_NODE = "query($id: ID!) { node(id: $id) { id ... on Tier { name threshold } } }"


async def test_a_tier_is_a_node_any_credential_of_its_tenant_reads(gql, make_tenant):
    # given a tier of one tenant, and another tenant
    kit, other = await make_tenant(), await make_tenant()
    tier_id = await create_tier(gql, kit, name="Gold", threshold=1000)

    # when it is fetched by its global id with the tenant's publishable key, and by the
    # other tenant's key
    mine = await gql(TIER_NODE, {"id": tier_id}, token=kit.publishable_key)
    theirs = await gql(TIER_NODE, {"id": tier_id}, token=other.secret_key)

    # then its own tenant sees it, and the other tenant sees nothing
    assert mine["node"] == {"id": tier_id, "name": "Gold", "threshold": "1000"}
    assert theirs["node"] is None


async def test_a_changed_order_keeps_the_tier_multiplier_it_first_earned_at(clocked, tenant):
    # given a Gold member (2x) whose $100.00 order earned 200 points
    gql = clocked.gql
    gold_id = await create_tier(gql, tenant, name="Gold", threshold=100, multiplier="2")
    member = await join(gql, tenant, points=100)
    first = await gql(
        RECORD, {"input": order("o-1", member, 10000, CLOCK_START)}, token=tenant.secret_key
    )
    assert first["recordOrder"]["pointsDelta"] == 200

    # when Gold's multiplier drops to 1x, and then the order gains a $1.00 line
    changed = await operator(
        gql, tenant, UPDATE_TIER, {"input": {"id": gold_id, "multiplier": "1"}}
    )
    assert changed["updateTier"]["errors"] == []
    body = order("o-1", member, 10000, CLOCK_START)
    body["lines"].append({"sku": "sticker", "quantity": 1, "unitPrice": 100})
    again = await gql(RECORD, {"input": body}, token=tenant.secret_key)

    # then only the new dollar moves points, at the 2x the order first earned at
    assert again["recordOrder"]["errors"] == []
    assert again["recordOrder"]["pointsDelta"] == 2
    await assert_ledger_matches_balances(clocked.services, tenant)
