"""Given redeemReward claiming its idempotency key in the statement that reads the member and
recording the redemption as the key's result in the statement that stores it, when keys are
raced, reused across mutations or used by a redemption that was refused, then the answers
are those of a key claimed and completed on its own."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_redemption import REDEEM, make_reward
from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

REDEMPTIONS = """
query M($id: ID!) {
  member(id: $id) { points { available } redemptions(first: 10) { nodes { code } } }
}
"""


async def _redeem(gql: GraphQLClient, kit: TenantKit, **given: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(REDEEM, {"input": given}, token=kit.secret_key))[
        "redeemReward"
    ]
    return payload


async def test_racing_retries_with_one_key_issue_one_code(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=1000)

    results = await asyncio.gather(
        *(
            _redeem(gql, tenant, rewardId=reward_id, memberId=member, idempotencyKey="k")
            for _ in range(10)
        )
    )

    assert all(r["errors"] == [] for r in results)
    assert len({r["redemption"]["code"] for r in results}) == 1
    assert sum(not r["replayed"] for r in results) == 1
    after = (await gql(REDEMPTIONS, {"id": member}, token=tenant.secret_key))["member"]
    assert after["points"]["available"] == 900
    assert len(after["redemptions"]["nodes"]) == 1
    await assert_ledger_matches_balances(services, tenant)


async def test_a_key_used_by_another_mutation_is_refused(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=300)
    adjusted = await gql(
        ADJUST,
        {"input": {"memberId": member, "points": 5, "idempotencyKey": "shared"}},
        token=tenant.secret_key,
    )
    assert adjusted["adjustPoints"]["errors"] == []

    refused = await _redeem(
        gql, tenant, rewardId=reward_id, memberId=member, idempotencyKey="shared"
    )

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    ]
    after = (await gql(REDEMPTIONS, {"id": member}, token=tenant.secret_key))["member"]
    assert after["points"]["available"] == 305


async def test_a_refused_redemption_gives_its_key_back(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=50)

    refused = await _redeem(gql, tenant, rewardId=reward_id, memberId=member, idempotencyKey="k")
    await gql(ADJUST, {"input": {"memberId": member, "points": 60}}, token=tenant.secret_key)
    retried = await _redeem(gql, tenant, rewardId=reward_id, memberId=member, idempotencyKey="k")

    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_POINTS"]
    assert retried["errors"] == [] and retried["replayed"] is False
    assert retried["points"] == {"available": 10}
    await assert_ledger_matches_balances(services, tenant)
