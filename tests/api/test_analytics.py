"""The program's KPIs against a hand-computed scenario, side by side across an agency's
tenants, and the bounds of the period. Every figure is worked out in the comments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tests.support.earning import enroll, fetch, order, record, refund
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import make_reward, redeem

ANALYTICS = """
query Analytics($from: DateTime!, $to: DateTime!, $interval: Interval) {
  analytics(from: $from, to: $to, interval: $interval) {
    members { total new active }
    activeEngagementRate
    repeatPurchaseRate { members guests }
    averageOrderValue { members { amount currency } guests { amount currency } }
    purchaseFrequency { members guests }
    monetaryBonus
    customerLifetimeValue { amount currency }
    retentionRate
    churnRate
    upsellRatio
    redemptionRate
    pointsLiability { points value { amount currency } }
    roi
    tiers { tier { name } members }
    referrals { sent converted revenue { amount } }
    series {
      start members activeMembers orders revenue { amount } pointsEarned pointsRedeemed
    }
  }
}
"""
AGENCY_ANALYTICS = """
query AgencyAnalytics($from: DateTime!, $to: DateTime!) {
  agency {
    tenants {
      slug
      analytics(from: $from, to: $to) { members { total } averageOrderValue { guests { amount } } }
    }
  }
}
"""
CONFIGURE_ANALYTICS = """
mutation ConfigureAnalytics($input: ConfigureAnalyticsInput!) {
  configureAnalytics(input: $input) {
    settings { grossMargin monthlyProgramCost }
    errors { code field message }
  }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
CREATE_TENANT = """
mutation CreateTenant($input: CreateTenantInput!) {
  createTenant(input: $input) { tenant { slug } errors { code field message } }
}
"""
CREATE_KEY = """
mutation CreateKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key errors { code field message } }
}
"""
GUEST_ORDER = """
query GuestOrder($id: String!) { order(orderId: $id) { guestId } }
"""

MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}


def noon(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


async def place(gql: GraphQLClient, kit: TenantKit, body: dict[str, Any]) -> None:
    result = await record(gql, kit, body)
    assert result["errors"] == [], result


def usd(amount: int) -> dict[str, Any]:
    return {"amount": str(amount), "currency": "USD"}


async def build_scenario(clocked: Any, kit: TenantKit) -> None:
    """Members A and B join on Feb 10 and order then; in March C and D join, A orders
    twice (one order two products, one refunded in part) and redeems, C orders once, D is
    given points by hand; guests g-1 (twice) and g-2 (two products) order, and one guest
    without a guestId. A Gold tier at 100 points earned; 1 point per dollar, worth 1 cent."""
    gql, clock = clocked.gql, clocked.clock
    clock.advance(noon(2, 10) - clock.now())
    gold = await gql(
        CREATE_TIER,
        {"input": {"name": "Gold", "threshold": 100}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert gold["createTier"]["errors"] == []
    a = await enroll(gql, kit, externalId="a")
    b = await enroll(gql, kit, externalId="b")
    await place(gql, kit, order("old-a", a, ("x", 1, 5000), placed_at=clock.now()))  # +50
    await place(gql, kit, order("old-b", b, ("x", 1, 3000), placed_at=clock.now()))  # +30

    clock.advance(noon(3, 2) - clock.now())
    c = await enroll(gql, kit, externalId="c")
    d = await enroll(gql, kit, externalId="d")
    # A: 120 points, two products: A holds Gold from here (170 earned)
    await place(gql, kit, order("a-1", a, ("x", 1, 10000), ("y", 1, 2000), placed_at=clock.now()))
    given = await gql(
        "mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { errors { code } } }",
        {"i": {"memberId": d, "points": 10}},
        token=kit.secret_key,
    )
    assert given["adjustPoints"]["errors"] == []

    clock.advance(noon(3, 3) - clock.now())
    await place(gql, kit, order("c-1", c, ("x", 2, 2500), placed_at=clock.now()))  # +50
    await place(gql, kit, order("g-1a", None, ("x", 1, 4000), placed_at=clock.now(), guestId="g-1"))

    clock.advance(noon(3, 4) - clock.now())
    await place(
        gql,
        kit,
        order("g-2a", None, ("x", 1, 3000), ("z", 1, 1000), placed_at=clock.now(), guestId="g-2"),
    )

    clock.advance(noon(3, 5) - clock.now())
    await place(gql, kit, order("a-2", a, ("x", 1, 8000), placed_at=clock.now()))  # +80

    clock.advance(noon(3, 6) - clock.now())
    await place(gql, kit, order("anon", None, ("x", 1, 6000), placed_at=clock.now()))
    # $30 of $80 back: 30 of a-2's 80 points are reversed
    refunded = await refund(gql, kit, orderId="a-2", refundId="r-1", amount=3000)
    assert (refunded["errors"], refunded["reversedPoints"]) == ([], 30)
    reward = await make_reward(gql, kit, pointsCost=100)
    assert (await redeem(gql, kit, reward, a))["errors"] == []

    clock.advance(noon(3, 10) - clock.now())
    await place(gql, kit, order("g-1b", None, ("x", 1, 2000), placed_at=clock.now(), guestId="g-1"))

    settings = await gql(
        CONFIGURE_ANALYTICS,
        {"input": {"grossMargin": "0.4", "monthlyProgramCost": "3000"}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert settings["configureAnalytics"] == {
        "settings": {"grossMargin": "0.4", "monthlyProgramCost": "3000"},
        "errors": [],
    }


async def test_every_kpi_of_a_hand_computed_month(clocked, tenant):
    # given the scenario of build_scenario, on the program's defaults
    await build_scenario(clocked, tenant)

    # when the secret key reads March, by week
    data = await clocked.gql(ANALYTICS, {**MARCH, "interval": "WEEK"}, token=tenant.secret_key)
    kpis = data["analytics"]

    # then members: A, B before March, C and D in it; A and C earned or redeemed (D's points
    # were an adjustment); only A both earned and redeemed: 1 of 4
    assert kpis["members"] == {"total": "4", "new": "2", "active": "2"}
    assert kpis["activeEngagementRate"] == 0.25
    # members A (2 orders) and C (1); guests g-1 (2) and g-2 (1): one repeater of two each
    assert kpis["repeatPurchaseRate"] == {"members": 0.5, "guests": 0.5}
    # members: 12000 + (8000 - 3000) + 5000 = 22000 over 3 orders = 7333.33 -> 7333;
    # guests: 4000 + 2000 + 4000 + 6000 (the anonymous order counts) = 16000 over 4 = 4000
    assert kpis["averageOrderValue"] == {"members": usd(7333), "guests": usd(4000)}
    # 3 orders by 2 members; 3 orders by 2 identified guests
    assert kpis["purchaseFrequency"] == {"members": 1.5, "guests": 1.5}
    # 22000 / 2 members over 10000 / 2 identified guests
    assert kpis["monetaryBonus"] == 2.2
    # retention: A and B ordered in the 31 days before March, A again in March
    assert (kpis["retentionRate"], kpis["churnRate"]) == (0.5, 0.5)
    # CLV: 7333.33 x 1.5 x 0.4 = 4400 per month, kept at 1/2 over round(1095 / 31) = 35
    # periods: 4400 x (2 - 2^-34) = 8800 to the cent
    assert kpis["customerLifetimeValue"] == usd(8800)
    # A (x and y in a-1) and g-2 (x and z) of 4 customers who ordered
    assert kpis["upsellRatio"] == 0.5
    # earned 120 + 50 + 80 = 250 in March; redeemed 100
    assert kpis["redemptionRate"] == 0.4
    # outstanding: A 50 + 120 + 80 - 30 - 100 = 120, B 30, C 50, D 10 = 210 at 1 cent
    assert kpis["pointsLiability"] == {"points": "210", "value": usd(210)}
    # incremental: 22000 - 2 members x 5000 per guest = 12000; cost: 100 points at 1 cent +
    # 3000 x 31 / 30 = 3200; ROI = (12000 - 3200) / 3200
    assert kpis["roi"] == 2.75
    assert kpis["tiers"] == [{"tier": {"name": "Gold"}, "members": "1"}]
    assert kpis["referrals"] == {"sent": "0", "converted": "0", "revenue": {"amount": "0"}}
    # weeks from Monday Feb 23 (March 1 only) to Monday Mar 30
    assert kpis["series"] == [
        bucket("2026-02-23", 2, 0, 0, 0, 0, 0),
        bucket("2026-03-02", 4, 2, 6, 36000, 250, 100),
        bucket("2026-03-09", 4, 0, 1, 2000, 0, 0),
        bucket("2026-03-16", 4, 0, 0, 0, 0, 0),
        bucket("2026-03-23", 4, 0, 0, 0, 0, 0),
        bucket("2026-03-30", 4, 0, 0, 0, 0, 0),
    ]

    # and the guest's reference is kept on the order
    found = await clocked.gql(GUEST_ORDER, {"id": "g-1a"}, token=tenant.secret_key)
    assert found["order"] == {"guestId": "g-1"}


def bucket(
    start: str, members: int, active: int, orders: int, revenue: int, earned: int, redeemed: int
) -> dict[str, Any]:
    return {
        "start": start,
        "members": str(members),
        "activeMembers": str(active),
        "orders": str(orders),
        "revenue": {"amount": str(revenue)},
        "pointsEarned": str(earned),
        "pointsRedeemed": str(redeemed),
    }


async def test_the_rollups_equal_a_rebuild_from_the_facts(clocked, tenant):
    # given the scenario, kept by the triggers as each fact was written
    await build_scenario(clocked, tenant)
    services = clocked.services
    read = """SELECT day, sum(new_members) nm, sum(member_orders) mo, sum(guest_orders) go,
                     sum(member_revenue_minor) mr, sum(guest_revenue_minor) gr,
                     sum(points_earned) pe, sum(points_redeemed) pr, sum(points_net) pn
                FROM analytics_days GROUP BY day HAVING bool_or(new_members + member_orders
                     + guest_orders + member_revenue_minor + guest_revenue_minor
                     + points_earned + points_redeemed + points_net <> 0
                     OR new_members <> 0) ORDER BY day"""
    customers = """SELECT * FROM customer_days
                    WHERE orders <> 0 OR revenue_minor <> 0 OR earns <> 0 OR redeems <> 0
                    ORDER BY day, kind, customer"""
    kept = (await fetch(services, tenant, read), await fetch(services, tenant, customers))

    # when the rollups are rebuilt from the facts in one pass
    await fetch(services, tenant, "SELECT analytics_rebuild()")

    # then they are the same
    assert (await fetch(services, tenant, read), await fetch(services, tenant, customers)) == kept


async def test_a_period_must_run_forward_and_span_at_most_two_years(gql, tenant):
    # given a tenant; when the period runs backwards, or over two years
    backwards = await gql.raw(
        ANALYTICS, {"from": MARCH["to"], "to": MARCH["from"]}, token=tenant.secret_key
    )
    too_long = await gql.raw(
        ANALYTICS,
        {"from": "2024-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"},
        token=tenant.secret_key,
    )

    # then each is refused as INVALID, naming `to`
    for response in (backwards, too_long):
        errors = response.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["INVALID"], errors
    assert "before" in backwards.json()["errors"][0]["message"]
    assert "at most 731" in too_long.json()["errors"][0]["message"]


async def test_an_empty_period_has_null_rates_not_zeros(gql, tenant):
    # given a tenant with nothing in it; when March is read
    kpis = (await gql(ANALYTICS, MARCH, token=tenant.secret_key))["analytics"]

    # then counts are zero and every rate without a denominator is null
    assert kpis["members"] == {"total": "0", "new": "0", "active": "0"}
    assert kpis["activeEngagementRate"] is None
    assert kpis["repeatPurchaseRate"] == {"members": None, "guests": None}
    assert kpis["averageOrderValue"] == {"members": None, "guests": None}
    assert (kpis["monetaryBonus"], kpis["roi"], kpis["customerLifetimeValue"]) == (
        None,
        None,
        None,
    )
    assert (kpis["retentionRate"], kpis["churnRate"], kpis["redemptionRate"]) == (None,) * 3
    assert len(kpis["series"]) == 31  # a bucket per day by default


async def test_an_operator_sees_the_agency_tenants_side_by_side(gql, make_tenant):
    # given an agency with two tenants: the first with a $40 guest order, the second with
    # a $10 one
    kit = await make_tenant()
    created = await gql(
        CREATE_TENANT,
        {"input": {"slug": "s" + uuid.uuid4().hex[:12], "name": "Second shop"}},
        token=kit.operator_token,
    )
    second_slug = created["createTenant"]["tenant"]["slug"]
    key = await gql(
        CREATE_KEY, {"input": {"kind": "SECRET"}}, token=kit.operator_token, tenant=second_slug
    )
    second = TenantKit(
        id="",
        slug=second_slug,
        secret_key=key["createApiKey"]["key"],
        publishable_key="",
        operator_token=kit.operator_token,
        operator_email=kit.operator_email,
    )
    march = noon(3, 3)
    await place(gql, kit, order("o-1", None, ("x", 1, 4000), placed_at=march, guestId="g"))
    await place(gql, second, order("o-1", None, ("x", 1, 1000), placed_at=march))

    # when the operator reads the agency's tenants with their analytics
    data = await gql(AGENCY_ANALYTICS, MARCH, token=kit.operator_token)

    # then each tenant answers its own numbers
    seen = {t["slug"]: t["analytics"] for t in data["agency"]["tenants"]}
    assert seen == {
        kit.slug: {"members": {"total": "0"}, "averageOrderValue": {"guests": {"amount": "4000"}}},
        second_slug: {
            "members": {"total": "0"},
            "averageOrderValue": {"guests": {"amount": "1000"}},
        },
    }


async def test_another_agency_cannot_read_a_tenant_analytics(gql, make_tenant):
    # given two tenants of two agencies
    mine, theirs = await make_tenant(), await make_tenant()

    # when my operator names their tenant, or lists my agency's tenants
    named = await gql.raw(ANALYTICS, MARCH, token=mine.operator_token, tenant=theirs.slug)
    listed = await gql(AGENCY_ANALYTICS, MARCH, token=mine.operator_token)

    # then their tenant is refused, and is not among mine
    assert [e["extensions"]["code"] for e in named.json()["errors"]] == ["FORBIDDEN"]
    assert [t["slug"] for t in listed["agency"]["tenants"]] == [mine.slug]


async def test_a_publishable_key_cannot_read_analytics(gql, tenant):
    # given a tenant's publishable key (browser side); when it asks for the KPIs
    response = await gql.raw(ANALYTICS, MARCH, token=tenant.publishable_key)

    # then it is refused: the program's numbers are for its staff and its store's backend
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["FORBIDDEN"]
