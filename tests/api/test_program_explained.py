"""The program explained: `program { howToEarn howToRedeem }` tells a storefront's "how it
works" page the program's rate, earn rules, actions, tiers and rewards, each a title and a
sentence written from the configuration, and follows every change of it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import CLOCK_START
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import make_reward

HOW_IT_WORKS = (
    Path(__file__).resolve().parents[2]
    / "graphql"
    / "operations"
    / "storefront"
    / "HowItWorks.graphql"
).read_text()
CONFIGURE = """
mutation Configure($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { program { version } errors { code field message } }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""


async def _configure(gql: GraphQLClient, kit: TenantKit, **fields) -> None:
    data = await gql(CONFIGURE, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    assert data["configureProgram"]["errors"] == [], data


async def _tier(gql: GraphQLClient, kit: TenantKit, **fields) -> None:
    data = await gql(CREATE_TIER, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    assert data["createTier"]["errors"] == [], data


def _lines(items: list[dict]) -> list[tuple[str, str, str, int | None]]:
    return [(x["kind"], x["title"], x["description"], x["points"]) for x in items]


async def test_the_storefront_reads_the_program_in_the_tenants_words(clocked, tenant):
    gql = clocked.gql
    # given a program of 1 point per $1 with a return window, a weekend campaign, a category
    # multiplier, an ended rule, actions, two tiers and rewards
    later = CLOCK_START + timedelta(days=5)
    await _configure(
        gql,
        tenant,
        pointsPerUnit="1",
        pendingDays=14,
        earnRules=[
            {
                "id": "shoes",
                "name": "Shoes earn double",
                "kind": "MULTIPLIER",
                "multiplier": "2",
                "categories": ["shoes"],
            },
            {
                "id": "weekend",
                "name": "Weekend bonus",
                "kind": "BONUS",
                "points": 50,
                "minOrderValue": 5000,
                "endsAt": later.isoformat(),
                "channels": ["WEB"],
            },
            {
                "id": "gone",
                "name": "Ended",
                "kind": "BONUS",
                "points": 5,
                "startsAt": (CLOCK_START - timedelta(days=9)).isoformat(),
                "endsAt": (CLOCK_START - timedelta(days=1)).isoformat(),
            },
        ],
        actions=[
            {"key": "signup", "points": 50, "once": True},
            {"key": "review", "points": 20, "maxPerPeriod": 3, "period": "MONTH"},
            {"key": "newsletter_optin", "points": 10},
            {"key": "social_share", "points": 5, "active": False},
        ],
    )
    await _tier(gql, tenant, name="Silver", threshold=500, multiplier="1.25")
    await _tier(
        gql, tenant, name="Gold", threshold=2000, multiplier="1.5", perks=["Free gift wrap"]
    )
    await make_reward(gql, tenant, name="Five off", value=500, pointsCost=100)
    await make_reward(
        gql,
        tenant,
        name="Ten percent",
        kind="PERCENTAGE",
        percentage="10",
        maxDiscount=2000,
        pointsCost=300,
        value=None,
        eligibleTiers=["Gold"],
    )
    await make_reward(
        gql,
        tenant,
        name="Points for cash",
        kind="FIXED_AMOUNT",
        value=None,
        pointsCost=None,
        minPoints=200,
        maxPoints=5000,
        stepPoints=100,
        valuePerStep=100,
    )
    await make_reward(
        gql,
        tenant,
        name="Ships free",
        kind="FREE_SHIPPING",
        value=None,
        pointsCost=150,
        minOrderValue=2500,
    )
    await make_reward(gql, tenant, name="Not yet", pointsCost=10, startsAt=later.isoformat())

    # when the storefront reads it with the publishable key
    program = (await gql(HOW_IT_WORKS, {}, token=tenant.publishable_key))["program"]

    # then every way to earn is a title and a sentence, the ended and inactive left out
    assert _lines(program["howToEarn"]) == [
        (
            "PURCHASE",
            "Shop",
            "Earn 1 point per $1 spent. Points can be spent 14 days after the order.",
            None,
        ),
        ("EARN_RULE", "Shoes earn double", "Earn 2x points on shoes.", None),
        (
            "EARN_RULE",
            "Weekend bonus",
            "Earn 50 points extra on orders of $50 or more online until March 7, 2026.",
            50,
        ),
        ("ACTION", "Sign up", "Earn 50 points for signing up.", 50),
        ("ACTION", "Write a review", "Earn 20 points for each review, up to 3 times a month.", 20),
        ("ACTION", "Newsletter optin", "Earn 10 points for newsletter optin.", 10),
        ("TIER", "Silver", "Silver: 1.25x points from 500 lifetime points.", 500),
        (
            "TIER",
            "Gold",
            "Gold: 1.5x points from 2,000 lifetime points. Perks: Free gift wrap.",
            2000,
        ),
    ]
    # and every reward live now, what it costs and gives
    assert _lines(program["howToRedeem"]) == [
        ("REWARD", "Five off", "100 points: $5 off.", 100),
        ("REWARD", "Ten percent", "300 points: 10% off (up to $20), for Gold members.", 300),
        ("REWARD", "Points for cash", "$1 off for every 100 points, from 200 points.", 200),
        ("REWARD", "Ships free", "150 points: free shipping on orders of $25 or more.", 150),
    ]

    # and once the campaign ends and the program changes, the page says so at once
    clocked.clock.advance(timedelta(days=6))
    await _configure(gql, tenant, pointsPerUnit="0.5", minOrderValue=1000, pendingDays=0)
    program = (await gql(HOW_IT_WORKS, {"rewards": 1}, token=tenant.publishable_key))["program"]
    earn = _lines(program["howToEarn"])
    assert earn[0] == (
        "PURCHASE",
        "Shop",
        "Earn 1 point per $2 spent on orders of $10 or more.",
        None,
    )
    assert [x[1] for x in earn if x[0] == "EARN_RULE"] == ["Shoes earn double"]
    assert [x[1] for x in _lines(program["howToRedeem"])] == ["Five off"]


async def test_a_program_in_yen_with_nothing_else_reads_its_own_currency(gql, tenant):
    # given a program in yen of 3 points per ¥100... as 0.03 per yen, and no rules
    await _configure(gql, tenant, currency="JPY", pointsPerUnit="0.03")

    # when any credential reads it
    for kwargs in (
        {"token": tenant.publishable_key},
        {"token": tenant.secret_key},
        {"token": tenant.operator_token, "tenant": tenant.slug},
    ):
        program = (await gql(HOW_IT_WORKS, {}, **kwargs))["program"]

        # then the rate is in yen, and there is nothing to redeem yet
        assert _lines(program["howToEarn"]) == [
            ("PURCHASE", "Shop", "Earn 0.03 points per ¥1 spent.", None)
        ]
        assert program["howToRedeem"] == []


async def test_the_welcome_and_birthday_gifts_are_explained_while_their_rewards_are_live(
    clocked, tenant
):
    gql = clocked.gql
    # given a welcome reward, a birthday cupcake for all and a Gold one ending soon
    soon = CLOCK_START + timedelta(days=1)
    welcome = await make_reward(gql, tenant, name="10% off your first order", pointsCost=100)
    cupcake = await make_reward(
        gql, tenant, name="a free cupcake", kind="CUSTOM", value=None, pointsCost=50
    )
    cake = await make_reward(
        gql,
        tenant,
        name="a whole cake",
        kind="CUSTOM",
        value=None,
        pointsCost=500,
        endsAt=soon.isoformat(),
    )
    await _configure(
        gql,
        tenant,
        welcomeOffer={"rewardId": welcome},
        birthdayGift={"rewardId": cupcake, "byTier": [{"tier": "Gold", "rewardId": cake}]},
    )

    # when the storefront reads the program, today and after the cake's end
    today = (await gql(HOW_IT_WORKS, {}, token=tenant.publishable_key))["program"]
    clocked.clock.advance(timedelta(days=2))
    later = (await gql(HOW_IT_WORKS, {}, token=tenant.publishable_key))["program"]

    # then both gifts are explained, the Gold cake only while it can be given
    gifts = [x for x in _lines(today["howToEarn"]) if x[0].endswith("_GIFT")]
    assert gifts == [
        ("WELCOME_GIFT", "Join", "Get 10% off your first order when you join.", None),
        (
            "BIRTHDAY_GIFT",
            "Birthday gift",
            "Get a free cupcake on your birthday. Gold members get a whole cake.",
            None,
        ),
    ]
    assert [x[2] for x in _lines(later["howToEarn"]) if x[0] == "BIRTHDAY_GIFT"] == [
        "Get a free cupcake on your birthday."
    ]
