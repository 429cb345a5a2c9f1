"""The storefront and mobile reward documents in graphql/operations/ work end to end."""

from __future__ import annotations

from pathlib import Path

from tests.support.rewards import make_reward, member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def document(path: str) -> str:
    return (OPERATIONS / path).read_text()


async def test_the_storefront_checkout_flow_runs_on_its_documents(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, value=700, minOrderValue=1000)
    await enroll(tenant, external_id="shopper-1", points=250)
    sk = tenant.secret_key

    catalog = await gql(document("storefront/Rewards.graphql"), token=tenant.publishable_key)
    redeemed = await gql(
        document("storefront/RedeemReward.graphql"),
        {"rewardId": reward_id, "externalId": "shopper-1", "idempotencyKey": "checkout-1"},
        token=sk,
    )
    code = redeemed["redeemReward"]["redemption"]["code"]
    checked = await gql(
        document("storefront/ValidateCode.graphql"),
        {"code": code, "subtotal": 5000, "externalId": "shopper-1"},
        token=sk,
    )
    used = await gql(
        document("storefront/MarkRedemptionUsed.graphql"),
        {"code": code, "orderId": "o-1"},
        token=sk,
    )
    cancelled = await gql(document("storefront/CancelRedemption.graphql"), {"code": code}, token=sk)

    assert [n["id"] for n in catalog["rewards"]["nodes"]] == [reward_id]
    assert redeemed["redeemReward"]["points"] == {"__typename": "Points", "available": 150}
    assert (checked["validateCode"]["valid"], checked["validateCode"]["discount"]) == (True, 700)
    assert used["markRedemptionUsed"]["redemption"]["status"] == "USED"
    assert cancelled["cancelRedemption"]["errors"][0]["code"] == "REDEMPTION_CLOSED"


async def test_the_mobile_rewards_screens_run_on_their_documents(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, pointsCost=100)
    member = await enroll(tenant, points=150)
    token = await member_token(gql, tenant, member)

    before = await gql(document("mobile/AvailableRewards.graphql"), token=token)
    redeemed = await gql(
        document("mobile/RedeemMyReward.graphql"),
        {"rewardId": reward_id, "idempotencyKey": "tap-1"},
        token=token,
    )
    mine = await gql(document("mobile/MyRedemptions.graphql"), {"status": ["ISSUED"]}, token=token)

    assert [(x["canRedeem"], x["pointsMissing"]) for x in before["me"]["availableRewards"]] == [
        (True, 0)
    ]
    assert redeemed["redeemReward"]["errors"] == []
    assert [n["code"] for n in mine["me"]["redemptions"]["nodes"]] == [
        redeemed["redeemReward"]["redemption"]["code"]
    ]
