"""Redemption at checkout: safe under races and retries, and exact about points and stock."""

from __future__ import annotations

import asyncio

from tests.support.ledger_checks import assert_ledger_matches_balances

CREATE = """
mutation Create($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id remainingStock } errors { code field message } }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    redemption { id code status points value }
    points { available }
    replayed
    errors { code field message }
  }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) {
    redemption { status } points { available } errors { code field message }
  }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status orderId } errors { code message } }
}
"""
VALIDATE = """
query Validate($code: String!, $subtotal: Int!) {
  validateCode(code: $code, subtotal: $subtotal) { valid reason discount freeShipping }
}
"""
MEMBER = """
query M($id: ID!) {
  member(id: $id) {
    points { available }
    redemptions(first: 100) { nodes { code status } }
    availableRewards { reward { name } canRedeem pointsMissing }
  }
}
"""
IMPORT = """
mutation Import($input: ImportRewardCodesInput!) {
  importRewardCodes(input: $input) { imported duplicates errors { code message } }
}
"""


async def make_reward(gql, kit, **fields) -> str:
    given = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100, **fields}
    data = await gql(CREATE, {"input": given}, token=kit.secret_key)
    assert data["createReward"]["errors"] == [], data
    return data["createReward"]["reward"]["id"]


async def test_stock_of_five_with_fifty_racing_members_issues_exactly_five(
    gql, tenant, enroll, services
):
    reward_id = await make_reward(gql, tenant, stock=5)
    members = await asyncio.gather(*(enroll(tenant, points=100) for _ in range(50)))

    results = await asyncio.gather(
        *(
            gql(REDEEM, {"input": {"rewardId": reward_id, "memberId": m}}, token=tenant.secret_key)
            for m in members
        )
    )

    payloads = [r["redeemReward"] for r in results]
    issued = [p for p in payloads if not p["errors"]]
    refused = [p for p in payloads if p["errors"]]
    assert len(issued) == 5
    assert len({p["redemption"]["code"] for p in issued}) == 5
    assert {p["errors"][0]["code"] for p in refused} == {"OUT_OF_STOCK"}
    balances = [
        (await gql(MEMBER, {"id": m}, token=tenant.secret_key))["member"]["points"]["available"]
        for m in members
    ]
    assert sorted(balances) == [0] * 5 + [100] * 45  # the refused spent nothing
    await assert_ledger_matches_balances(services, tenant)


async def test_a_per_member_limit_holds_under_concurrency(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, perMemberLimit=2, pointsCost=10)
    member = await enroll(tenant, points=1000)

    results = await asyncio.gather(
        *(
            gql(
                REDEEM,
                {"input": {"rewardId": reward_id, "memberId": member}},
                token=tenant.secret_key,
            )
            for _ in range(10)
        )
    )

    ok = [r for r in results if not r["redeemReward"]["errors"]]
    assert len(ok) == 2
    assert {r["redeemReward"]["errors"][0]["code"] for r in results if r not in ok} == {
        "LIMIT_REACHED"
    }
    after = await gql(MEMBER, {"id": member}, token=tenant.secret_key)
    assert after["member"]["points"]["available"] == 980


async def test_a_retried_redemption_returns_the_same_code(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=300)
    given = {"rewardId": reward_id, "memberId": member, "idempotencyKey": "checkout-77"}

    first, again = [
        (await gql(REDEEM, {"input": given}, token=tenant.secret_key))["redeemReward"]
        for _ in range(2)
    ]

    assert first["redemption"]["code"] == again["redemption"]["code"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    after = await gql(MEMBER, {"id": member}, token=tenant.secret_key)
    assert after["member"]["points"]["available"] == 200
    assert len(after["member"]["redemptions"]["nodes"]) == 1


async def test_cancel_returns_points_once_and_a_used_code_stays_used(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant, stock=1)
    member = await enroll(tenant, points=250)
    issued = await gql(
        REDEEM, {"input": {"rewardId": reward_id, "memberId": member}}, token=tenant.secret_key
    )
    code = issued["redeemReward"]["redemption"]["code"]

    cancelled = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
    twice = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)

    assert cancelled["cancelRedemption"]["points"] == {"available": 250}
    assert twice["cancelRedemption"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    # The stock came back: the one unit can be redeemed again.
    second = await gql(
        REDEEM, {"input": {"rewardId": reward_id, "memberId": member}}, token=tenant.secret_key
    )
    code2 = second["redeemReward"]["redemption"]["code"]
    check = await gql(VALIDATE, {"code": code2, "subtotal": 300}, token=tenant.secret_key)
    assert check["validateCode"] == {
        "valid": True,
        "reason": None,
        "discount": 300,
        "freeShipping": False,
    }
    used = await gql(USED, {"input": {"code": code2, "orderId": "o-9"}}, token=tenant.secret_key)
    assert used["markRedemptionUsed"]["redemption"] == {"status": "USED", "orderId": "o-9"}
    reuse = await gql(USED, {"input": {"code": code2, "orderId": "o-10"}}, token=tenant.secret_key)
    assert reuse["markRedemptionUsed"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    late_cancel = await gql(CANCEL, {"input": {"code": code2}}, token=tenant.secret_key)
    assert late_cancel["cancelRedemption"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    await assert_ledger_matches_balances(services, tenant)


async def test_variable_cost_rewards_refuse_amounts_off_the_step(gql, tenant, enroll):
    reward_id = await make_reward(
        gql,
        tenant,
        kind="STORE_CREDIT",
        value=None,
        pointsCost=None,
        minPoints=100,
        maxPoints=1000,
        stepPoints=50,
        valuePerStep=25,
    )
    member = await enroll(tenant, points=2000)

    for points in (99, 125, 1050, None):
        data = await gql(
            REDEEM,
            {"input": {"rewardId": reward_id, "memberId": member, "points": points}},
            token=tenant.secret_key,
        )
        assert data["redeemReward"]["errors"][0]["field"] == ["input", "points"], points
    ok = await gql(
        REDEEM,
        {"input": {"rewardId": reward_id, "memberId": member, "points": 300}},
        token=tenant.secret_key,
    )
    assert ok["redeemReward"]["redemption"]["value"] == 150  # 6 steps of 25
    assert ok["redeemReward"]["points"] == {"available": 1700}


async def test_an_exhausted_code_pool_is_a_clear_error(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, codeSource="POOL", pointsCost=10)
    imported = await gql(
        IMPORT,
        {"input": {"rewardId": reward_id, "codes": ["POOL-AAAA", "pool-bbbb", "POOL-AAAA"]}},
        token=tenant.secret_key,
    )
    assert imported["importRewardCodes"] == {"imported": 2, "duplicates": 1, "errors": []}
    member = await enroll(tenant, points=100)

    codes = []
    for _ in range(3):
        data = await gql(
            REDEEM, {"input": {"rewardId": reward_id, "memberId": member}}, token=tenant.secret_key
        )
        codes.append(data["redeemReward"])

    assert sorted(c["redemption"]["code"] for c in codes[:2]) == ["POOL-AAAA", "POOL-BBBB"]
    assert codes[2]["errors"][0]["code"] == "CODE_POOL_EXHAUSTED"
    after = await gql(MEMBER, {"id": member}, token=tenant.secret_key)
    assert after["member"]["points"]["available"] == 80


async def test_available_rewards_say_what_is_missing(gql, tenant, enroll):
    await make_reward(gql, tenant, name="Cheap", pointsCost=50)
    await make_reward(gql, tenant, name="Dear", pointsCost=500)
    member = await enroll(tenant, points=120)

    data = await gql(MEMBER, {"id": member}, token=tenant.secret_key)

    assert sorted(
        (x["reward"]["name"], x["canRedeem"], x["pointsMissing"])
        for x in data["member"]["availableRewards"]
    ) == [("Cheap", True, 0), ("Dear", False, 380)]
