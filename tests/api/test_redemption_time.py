"""What time does to rewards and codes: per-member limits per period, active windows, and
unused codes that expire (refunding their points once, by the reward's setting)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.jobs import JobReport, run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST, CLOCK_START, Clocked
from tests.support.gql import TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import available, code_of, make_reward, redeem

VALIDATE = """
query Validate($code: String!, $subtotal: Int!) {
  validateCode(code: $code, subtotal: $subtotal) { valid reason }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code field message } }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { status } errors { code field message } }
}
"""
REDEMPTIONS = """
query Redemptions($id: ID!) {
  member(id: $id) { redemptions(first: 10) { nodes { code status closedAt } } }
}
"""
CATALOG = """
query Catalog { program { rewards { id } } }
"""


def move_to(clocked: Clocked, at: datetime) -> None:
    clocked.clock.advance(at - clocked.clock.now())


async def fund(clocked: Clocked, kit: TenantKit, member_id: str, points: int) -> None:
    data = await clocked.gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == []


async def run_worker_jobs(clocked: Clocked, kit: TenantKit) -> JobReport:
    """One round of the worker's jobs over this test's tenant, at the test's clock."""
    tenant = await clocked.services.registry.get(UUID(kit.id))
    assert tenant is not None
    return await run_jobs(
        PgUnitOfWorkFactory(clocked.services.pool, tenant.schema_name),
        clocked.services.balances.for_tenant(tenant.id),
        clocked.clock,
    )


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# CLOCK_START is Monday 2 March 2026, noon UTC; periods are calendar periods in UTC.
@pytest.mark.parametrize(
    ("period", "still_refused", "allowed_again"),
    [
        ("DAY", at(2026, 3, 2, 23, 59), at(2026, 3, 3)),
        ("WEEK", at(2026, 3, 8, 23, 59), at(2026, 3, 9)),
        ("MONTH", at(2026, 3, 31, 23, 59), at(2026, 4, 1)),
        ("YEAR", at(2026, 12, 31, 23, 59), at(2027, 1, 1)),
    ],
)
async def test_a_per_member_limit_resets_with_its_period(
    clocked, tenant, enroll, period, still_refused, allowed_again
):
    gql = clocked.gql
    reward_id = await make_reward(
        gql, tenant, pointsCost=10, perMemberLimit=1, perMemberPeriod=period
    )
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 100)

    first = await redeem(gql, tenant, reward_id, member)
    move_to(clocked, still_refused)
    refused = await redeem(gql, tenant, reward_id, member)
    move_to(clocked, allowed_again)
    again = await redeem(gql, tenant, reward_id, member)

    assert first["errors"] == []
    assert refused["errors"][0]["code"] == "LIMIT_REACHED"
    assert again["errors"] == []
    assert await available(gql, tenant, member) == 80


async def test_a_cancelled_redemption_does_not_count_against_the_limit(clocked, tenant, enroll):
    gql = clocked.gql
    reward_id = await make_reward(
        gql, tenant, pointsCost=10, perMemberLimit=1, perMemberPeriod="DAY"
    )
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 100)
    code = await code_of(gql, tenant, reward_id, member)

    await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
    again = await redeem(gql, tenant, reward_id, member)

    assert again["errors"] == []


async def test_a_reward_is_redeemable_only_inside_its_active_window(clocked, tenant, enroll):
    gql = clocked.gql
    starts = CLOCK_START + timedelta(days=1)
    reward_id = await make_reward(
        gql, tenant, startsAt=starts.isoformat(), endsAt=(starts + timedelta(days=1)).isoformat()
    )
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 1000)

    early = await redeem(gql, tenant, reward_id, member)
    early_catalog = await gql(CATALOG, token=tenant.publishable_key)
    move_to(clocked, starts)
    inside = await redeem(gql, tenant, reward_id, member)
    inside_catalog = await gql(CATALOG, token=tenant.publishable_key)
    move_to(clocked, starts + timedelta(days=1))
    late = await redeem(gql, tenant, reward_id, member)

    assert early["errors"][0]["code"] == "REWARD_UNAVAILABLE"
    assert "starts" in early["errors"][0]["message"]
    assert early_catalog["program"]["rewards"] == []
    assert inside["errors"] == []
    assert inside_catalog["program"]["rewards"] == [{"id": reward_id}]
    assert late["errors"][0]["code"] == "REWARD_UNAVAILABLE"
    assert "ended" in late["errors"][0]["message"]
    assert await available(gql, tenant, member) == 900


async def test_an_expired_code_can_be_neither_used_nor_cancelled_before_the_job_runs(
    clocked, tenant, enroll
):
    gql = clocked.gql
    reward_id = await make_reward(gql, tenant, validDays=1, refundOnExpiry=False)
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 100)
    code = await code_of(gql, tenant, reward_id, member)

    clocked.clock.advance(timedelta(days=1))
    check = await gql(VALIDATE, {"code": code, "subtotal": 1000}, token=tenant.secret_key)
    used = await gql(USED, {"input": {"code": code, "orderId": "o-1"}}, token=tenant.secret_key)
    cancel = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)

    assert check["validateCode"] == {"valid": False, "reason": "This code is expired."}
    assert used["markRedemptionUsed"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    assert cancel["cancelRedemption"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    assert await available(gql, tenant, member) == 0  # no refund through the back door


async def test_expiry_refunds_points_exactly_once_with_the_job_run_concurrently_and_again(
    clocked, tenant, enroll
):
    gql = clocked.gql
    reward_id = await make_reward(gql, tenant, validDays=2)
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 250)
    expiring = await code_of(gql, tenant, reward_id, member)
    used = await code_of(gql, tenant, reward_id, member)
    await gql(USED, {"input": {"code": used, "orderId": "o-1"}}, token=tenant.secret_key)

    clocked.clock.advance(timedelta(days=1))
    early = await run_worker_jobs(clocked, tenant)
    clocked.clock.advance(timedelta(days=1))
    racing = await asyncio.gather(*(run_worker_jobs(clocked, tenant) for _ in range(3)))
    rerun = await run_worker_jobs(clocked, tenant)

    assert early.codes_expired == 0
    assert sum(r.codes_expired for r in racing) == 1
    assert rerun.codes_expired == 0
    assert await available(gql, tenant, member) == 150  # the used code's 100 stay spent
    listed = await gql(REDEMPTIONS, {"id": member}, token=tenant.secret_key)
    statuses = {n["code"]: n["status"] for n in listed["member"]["redemptions"]["nodes"]}
    assert statuses == {expiring: "EXPIRED", used: "USED"}
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_expiry_keeps_the_points_when_the_reward_says_so(clocked, tenant, enroll):
    gql = clocked.gql
    reward_id = await make_reward(gql, tenant, validDays=1, refundOnExpiry=False)
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 100)
    await code_of(gql, tenant, reward_id, member)

    clocked.clock.advance(timedelta(days=1))
    report = await run_worker_jobs(clocked, tenant)

    assert report.codes_expired == 1
    assert await available(gql, tenant, member) == 0
    listed = await gql(REDEMPTIONS, {"id": member}, token=tenant.secret_key)
    node = listed["member"]["redemptions"]["nodes"][0]
    assert node["status"] == "EXPIRED" and node["closedAt"] is not None
    await assert_ledger_matches_balances(clocked.services, tenant)


CONFIGURE = """
mutation Configure($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { errors { code field message } }
}
"""
EXPIRING = """
query Expiring($id: ID!, $days: Int!) {
  member(id: $id) { points { available expiring(withinDays: $days) { points expiresAt } } }
}
"""


async def test_a_redemption_spends_the_points_soonest_to_expire_and_a_cancel_restores_them(
    clocked, tenant, enroll
):
    gql = clocked.gql
    configured = await gql(
        CONFIGURE,
        {"input": {"lotExpiry": {"after": 30, "unit": "DAYS"}}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureProgram"]["errors"] == []
    reward_id = await make_reward(gql, tenant, pointsCost=100)
    member = await enroll(tenant)
    await fund(clocked, tenant, member, 100)  # expires on day 30
    clocked.clock.advance(timedelta(days=10))
    await fund(clocked, tenant, member, 100)  # expires on day 40

    code = await code_of(gql, tenant, reward_id, member)
    spent = await gql(EXPIRING, {"id": member, "days": 25}, token=tenant.secret_key)
    await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
    restored = await gql(EXPIRING, {"id": member, "days": 25}, token=tenant.secret_key)

    assert spent["member"]["points"]["available"] == 100
    assert spent["member"]["points"]["expiring"] == []  # the day-30 lot paid
    assert [e["points"] for e in restored["member"]["points"]["expiring"]] == [100]
    await assert_ledger_matches_balances(clocked.services, tenant)
