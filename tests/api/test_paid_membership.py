"""Paid membership: the program names a membership SKU, the tier it buys and for how
long; an order line of it gives the member the tier until then, refunding the line takes
it back, and when the period ends the member holds what their metric earns."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from domain.jobs import run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import CLOCK_START, Clocked
from tests.support.earning import enroll, order, record
from tests.support.gql import GraphQLClient, TenantKit

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CONFIGURE = (OPERATIONS / "agency" / "ConfigurePaidMemberships.graphql").read_text()
CREATE_TIER = (OPERATIONS / "agency" / "CreateTier.graphql").read_text()
PROGRAM_TIERS = (OPERATIONS / "storefront" / "ProgramTiers.graphql").read_text()
REFUND = (OPERATIONS / "storefront" / "RefundOrder.graphql").read_text()
STANDING = """
query Standing($id: ID!) {
  member(id: $id) {
    tier { current { name } paidUntil retainBy }
    tierHistory(first: 10) { nodes { fromTier { name } toTier { name } reason } }
  }
}
"""
YEAR = [{"sku": "GOLD-YEAR", "tier": "Gold", "months": 12}]


async def _program(gql: GraphQLClient, kit: TenantKit, plans: list[dict]) -> dict:
    for name, threshold in (("Silver", 100), ("Gold", 5000)):
        made = await gql(
            CREATE_TIER,
            {"input": {"name": name, "threshold": threshold}},
            token=kit.operator_token,
            tenant=kit.slug,
        )
        assert made["createTier"]["errors"] == [], made
    data = await gql(
        CONFIGURE, {"input": {"paidMemberships": plans}}, token=kit.operator_token, tenant=kit.slug
    )
    payload: dict = data["configureProgram"]
    return payload


async def _standing(gql: GraphQLClient, kit: TenantKit, member_id: str) -> dict:
    member: dict = (await gql(STANDING, {"id": member_id}, token=kit.secret_key))["member"]
    tier = member["tier"]
    return {
        "tier": tier["current"]["name"] if tier["current"] else None,
        "paidUntil": tier["paidUntil"],
        "moves": [
            (
                (n["fromTier"] or {}).get("name"),
                (n["toTier"] or {}).get("name"),
                n["reason"],
            )
            for n in reversed(member["tierHistory"]["nodes"])
        ],
    }


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def _jobs(clocked: Clocked, kit: TenantKit) -> None:
    tenant = await clocked.services.registry.get(UUID(kit.id))
    assert tenant is not None
    await run_jobs(
        PgUnitOfWorkFactory(clocked.services.pool, tenant.schema_name),
        clocked.services.balances.for_tenant(tenant.id),
        clocked.clock,
    )


async def test_a_membership_line_buys_the_tier_for_a_year_and_its_refund_takes_it_back(
    clocked, tenant
):
    # given Gold for a year by the GOLD-YEAR SKU, shown to the storefront
    gql = clocked.gql
    configured = await _program(gql, tenant, YEAR)
    assert configured["errors"] == []
    shown = await gql(PROGRAM_TIERS, {}, token=tenant.publishable_key)
    assert [
        {k: v for k, v in plan.items() if k != "__typename"}
        for plan in shown["program"]["paidMemberships"]
    ] == YEAR
    member_id = await enroll(gql, tenant)

    # when the member buys the membership with a mug, far below Gold's threshold
    bought = await record(
        gql, tenant, order("o-1", member_id, ("GOLD-YEAR", 1, 4900), ("MUG", 1, 1500))
    )
    assert bought["errors"] == []
    after_purchase = await _standing(gql, tenant, member_id)

    # then they hold Gold for a year
    assert after_purchase["tier"] == "Gold"
    assert _at(after_purchase["paidUntil"]) == datetime(
        2027, 3, 2, 12, 0, tzinfo=CLOCK_START.tzinfo
    )
    assert after_purchase["moves"][-1] == (None, "Gold", "PURCHASED")

    # when the mug alone is refunded, nothing changes; when the membership is, Gold goes
    mug = await gql(
        REFUND,
        {
            "input": {
                "orderId": "o-1",
                "refundId": "r-mug",
                "lines": [{"sku": "MUG", "quantity": 1}],
            }
        },
        token=tenant.secret_key,
    )
    after_mug = await _standing(gql, tenant, member_id)
    membership = await gql(
        REFUND,
        {
            "input": {
                "orderId": "o-1",
                "refundId": "r-gold",
                "lines": [{"sku": "GOLD-YEAR", "quantity": 1}],
            }
        },
        token=tenant.secret_key,
    )
    after_refund = await _standing(gql, tenant, member_id)

    assert mug["refundOrder"]["errors"] == [] and membership["refundOrder"]["errors"] == []
    assert after_mug["tier"] == "Gold"
    # and the member holds what their points earn: 64 points, no tier
    assert (after_refund["tier"], after_refund["paidUntil"]) == (None, None)
    assert after_refund["moves"][-1] == ("Gold", None, "MEMBERSHIP_ENDED")


async def test_the_tier_ends_with_the_period_and_two_units_buy_two_periods(clocked, tenant):
    # given Gold for a year, and a member who earned Silver and bought two years of Gold
    gql = clocked.gql
    assert (await _program(gql, tenant, YEAR))["errors"] == []
    member_id = await enroll(gql, tenant)
    await record(gql, tenant, order("o-silver", member_id, ("TEE", 1, 20000)))
    await record(gql, tenant, order("o-gold", member_id, ("GOLD-YEAR", 2, 4900)))
    bought = await _standing(gql, tenant, member_id)
    assert bought["tier"] == "Gold"
    assert _at(bought["paidUntil"]) == datetime(2028, 3, 2, 12, 0, tzinfo=CLOCK_START.tzinfo)

    # when a year and a half passes, Gold is still held; when the two years have
    clocked.clock.advance(timedelta(days=548))
    await _jobs(clocked, tenant)
    midway = await _standing(gql, tenant, member_id)
    clocked.clock.advance(timedelta(days=200))
    await _jobs(clocked, tenant)
    ended = await _standing(gql, tenant, member_id)

    # then the member holds what their points earn: Silver
    assert midway["tier"] == "Gold"
    assert (ended["tier"], ended["paidUntil"]) == ("Silver", None)
    assert ended["moves"] == [
        (None, "Silver", "QUALIFIED"),
        ("Silver", "Gold", "PURCHASED"),
        ("Gold", "Silver", "MEMBERSHIP_ENDED"),
    ]


async def test_a_recorded_order_replayed_grants_no_second_period(clocked, tenant):
    gql = clocked.gql
    assert (await _program(gql, tenant, YEAR))["errors"] == []
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, ("GOLD-YEAR", 1, 4900))
    await record(gql, tenant, body)
    # the same order again, and then with another line added
    await record(gql, tenant, body)
    await record(gql, tenant, order("o-1", member_id, ("GOLD-YEAR", 1, 4900), ("MUG", 1, 500)))

    standing = await _standing(gql, tenant, member_id)
    assert _at(standing["paidUntil"]) == datetime(2027, 3, 2, 12, 0, tzinfo=CLOCK_START.tzinfo)


async def test_a_plan_must_name_a_tier_of_the_program(gql, tenant):
    payload = await _program(gql, tenant, [{"sku": "VIP", "tier": "Platinum", "months": 12}])
    months = await gql(
        CONFIGURE,
        {"input": {"paidMemberships": [{"sku": "VIP", "tier": "Gold", "months": 0}]}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", ["input", "paidMemberships", "0", "tier"])
    ]
    assert [e["field"] for e in months["configureProgram"]["errors"]] == [
        ["input", "paidMemberships", "0", "months"]
    ]
