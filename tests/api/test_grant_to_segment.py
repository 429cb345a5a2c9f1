"""grantToSegment end to end: once per member under a campaign key, however often and
however concurrently it is sent; resumed after a partial run; and its win-back results."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from domain.records.segments import CampaignStatus
from domain.winback import GrantToSegment, grant_to_segment
from persistence.uow import PgUnitOfWorkFactory
from tests.api.test_segments import CREATE_SEGMENT, DAY, balance_at_least, buy
from tests.api.test_tiers import CREATE_REWARD, join, move_to, operator, run_worker
from tests.conftest import CLOCK_START
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

GRANT = """
mutation Grant($input: GrantToSegmentInput!) {
  grantToSegment(input: $input) {
    campaign { key segment points status total granted skipped }
    errors { code field message }
  }
}
"""
CAMPAIGN = """
query Campaign($key: String!, $days: Int!) {
  winBackCampaign(key: $key) { status granted winBack(days: $days) { members reordered rate } }
}
"""
BALANCE = """
query Balance($id: ID!) {
  member(id: $id) {
    points { available }
    history(first: 20) { nodes { reason } }
    redemptions { nodes { code } }
  }
}
"""


async def members_of_segment(clocked: Any, kit: TenantKit, points: list[int]) -> list[str]:
    """Members with these balances, and a segment "loyal" of those with 100 points or more."""
    gql = clocked.gql
    members = [await join(gql, kit, p) for p in points]
    created = await operator(
        gql,
        kit,
        CREATE_SEGMENT,
        {"input": {"key": "loyal", "name": "Loyal", "rule": balance_at_least(100)}},
    )
    assert created["createSegment"]["errors"] == []
    await run_worker(clocked, kit)
    return members


async def member_state(gql: GraphQLClient, kit: TenantKit, member_id: str) -> dict:
    found: dict = (await gql(BALANCE, {"id": member_id}, token=kit.secret_key))["member"]
    return found


def gifts(state: dict, reason: str) -> int:
    return sum(1 for n in state["history"]["nodes"] if n["reason"] == reason)


async def factory(clocked: Any, kit: TenantKit) -> tuple[PgUnitOfWorkFactory, Any]:
    tenant = await clocked.services.registry.get(UUID(kit.id))
    assert tenant is not None
    return (
        PgUnitOfWorkFactory(clocked.services.pool, tenant.schema_name),
        clocked.services.balances.for_tenant(tenant.id),
    )


async def test_the_same_campaign_key_grants_each_member_once(clocked, tenant):
    gql = clocked.gql
    # given a segment of two members (a third is outside it)
    inside_a, inside_b, outside = await members_of_segment(clocked, tenant, [100, 150, 50])
    grant = {"segment": "loyal", "campaignKey": "spring", "points": 25, "reason": "We miss you"}

    # when the campaign is sent twice with the same key
    first = (await gql(GRANT, {"input": grant}, token=tenant.secret_key))["grantToSegment"]
    again = (await gql(GRANT, {"input": grant}, token=tenant.secret_key))["grantToSegment"]

    # then it ran once, to the end, for the two members
    done = {"key": "spring", "segment": "loyal", "points": 25, "status": "DONE"}
    assert first == {"campaign": {**done, "total": 2, "granted": 2, "skipped": 0}, "errors": []}
    assert again == first
    # and each member of the segment got 25 points once, the other nothing
    for member, before in ((inside_a, 100), (inside_b, 150), (outside, 50)):
        state = await member_state(gql, tenant, member)
        expected = before + (25 if member != outside else 0)
        assert state["points"]["available"] == expected
        assert gifts(state, "We miss you") == (1 if member != outside else 0)
    await assert_ledger_matches_balances(clocked.services, tenant)

    # when the key is sent with other input
    other = {**grant, "points": 30}
    reused = (await gql(GRANT, {"input": other}, token=tenant.secret_key))["grantToSegment"]

    # then it is refused
    assert reused["campaign"] is None
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_concurrent_campaigns_and_workers_grant_each_member_exactly_once(clocked, tenant):
    gql = clocked.gql
    # given a segment of eight members
    members = await members_of_segment(clocked, tenant, [100 + i for i in range(8)])
    uow, cache = await factory(clocked, tenant)
    cmd = GrantToSegment("loyal", "race", 10, None, "Race gift")

    # when two calls of the campaign run at once in batches of one, with two worker rounds
    results = await asyncio.gather(
        grant_to_segment(uow, cache, clocked.clock, cmd, batch=1, batches=None),
        grant_to_segment(uow, cache, clocked.clock, cmd, batch=1, batches=None),
        run_worker(clocked, tenant),
        run_worker(clocked, tenant),
    )

    # then every member got the gift exactly once, and the campaign counts eight
    assert {r.key for r in results[:2]} == {"race"}
    finished = await gql(CAMPAIGN, {"key": "race", "days": 30}, token=tenant.secret_key)
    assert finished["winBackCampaign"]["status"] == "DONE"
    assert finished["winBackCampaign"]["granted"] == 8
    for i, member in enumerate(members):
        state = await member_state(gql, tenant, member)
        assert gifts(state, "Race gift") == 1
        assert state["points"]["available"] == 100 + i + 10
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_campaign_stopped_after_a_partial_batch_is_resumed(clocked, tenant):
    gql = clocked.gql
    # given a segment of five members
    members = await members_of_segment(clocked, tenant, [100] * 5)
    uow, cache = await factory(clocked, tenant)
    cmd = GrantToSegment("loyal", "resume", 5, None, "Comeback")

    # when the campaign stops after one batch of two
    stopped = await grant_to_segment(uow, cache, clocked.clock, cmd, batch=2, batches=1)

    # then two are granted and it is still running
    assert (stopped.status, stopped.granted, stopped.total) == (CampaignStatus.RUNNING, 2, 5)

    # when the worker comes round, and the campaign is then sent again
    report = await run_worker(clocked, tenant)
    again = await grant_to_segment(uow, cache, clocked.clock, cmd)

    # then the worker finished it: five granted, each member once
    assert report.campaigns_finished == 1
    assert (again.status, again.granted) == (CampaignStatus.DONE, 5)
    for member in members:
        assert gifts(await member_state(gql, tenant, member), "Comeback") == 1
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_win_back_counts_members_who_ordered_again_within_the_days(clocked, tenant):
    gql = clocked.gql
    # given a segment of two members given a catalog reward by a campaign
    back, gone = await members_of_segment(clocked, tenant, [100, 100])
    reward = await gql(
        CREATE_REWARD,
        {"input": {"name": "Welcome back", "kind": "CUSTOM", "pointsCost": 40}},
        token=tenant.secret_key,
    )
    reward_id = reward["createReward"]["reward"]["id"]
    grant = {"segment": "loyal", "campaignKey": "gift", "rewardId": reward_id}
    sent = (await gql(GRANT, {"input": grant}, token=tenant.secret_key))["grantToSegment"]
    assert sent["campaign"]["granted"] == 2, sent
    # and each holds a code for it, their balance unchanged
    state = await member_state(gql, tenant, back)
    assert len(state["redemptions"]["nodes"]) == 1 and state["points"]["available"] == 100

    # when one of them orders 10 days later
    move_to(clocked, CLOCK_START + 10 * DAY)
    await buy(gql, tenant, back, 1_000, 10)

    # then within 30 days one of two came back; within 5 days none had
    found = await gql(CAMPAIGN, {"key": "gift", "days": 30}, token=tenant.secret_key)
    assert found["winBackCampaign"]["winBack"] == {"members": 2, "reordered": 1, "rate": 0.5}
    soon = await gql(CAMPAIGN, {"key": "gift", "days": 5}, token=tenant.secret_key)
    assert soon["winBackCampaign"]["winBack"]["reordered"] == 0
    assert gone != back


async def test_a_campaign_that_cannot_run_is_refused_before_it_starts(clocked, tenant):
    gql = clocked.gql
    # given a segment, and a reward kept for it
    await members_of_segment(clocked, tenant, [100])
    gated = await gql(
        CREATE_REWARD,
        {"input": {"name": "Gated", "kind": "CUSTOM", "pointsCost": 5, "eligibleSegments": ["x"]}},
        token=tenant.secret_key,
    )
    gated_id = gated["createReward"]["reward"]["id"]
    cases = [
        ({"segment": "nobody", "points": 5}, "NOT_FOUND", ["input", "segment"]),
        ({"segment": "loyal"}, "REQUIRED", ["input", "points"]),
        ({"segment": "loyal", "points": 5, "rewardId": gated_id}, "REQUIRED", ["input", "points"]),
        ({"segment": "loyal", "points": -5}, "INVALID_AMOUNT", ["input", "points"]),
        ({"segment": "loyal", "rewardId": gated_id}, "INVALID", ["input", "rewardId"]),
    ]
    for i, (given, code, field) in enumerate(cases):
        # when each is sent
        sent = await gql(
            GRANT, {"input": {**given, "campaignKey": f"bad-{i}"}}, token=tenant.secret_key
        )

        # then it is refused on the field at fault, and no campaign exists
        payload = sent["grantToSegment"]
        assert payload["campaign"] is None
        assert (payload["errors"][0]["code"], payload["errors"][0]["field"]) == (code, field)
        found = await gql(CAMPAIGN, {"key": f"bad-{i}", "days": 30}, token=tenant.secret_key)
        assert found["winBackCampaign"] is None
