"""Bad input to the reward mutations: a typed UserError naming the field, never a 500, and
nothing written."""

from __future__ import annotations

import pytest

from tests.support.rewards import available, code_of, make_reward

REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { code } errors { code field } }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code field } }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { status } errors { code field } }
}
"""
UPDATE = """
mutation Update($input: UpdateRewardInput!) {
  updateReward(input: $input) { reward { name } errors { code field } }
}
"""
ARCHIVE = """
mutation Archive($input: ArchiveRewardInput!) {
  archiveReward(input: $input) { reward { archived } errors { code field } }
}
"""
IMPORT = """
mutation Import($input: ImportRewardCodesInput!) {
  importRewardCodes(input: $input) { imported errors { code field } }
}
"""
REWARDS = """
query Rewards($after: String) { rewards(after: $after) { nodes { name } } }
"""


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"rewardId": "not-an-id"}, "rewardId", "INVALID_ID"),
        ({"rewardId": "TWVtYmVyOjE="}, "rewardId", "INVALID_ID"),
        ({"memberId": "nope"}, "memberId", "INVALID_ID"),
        ({"idempotencyKey": "k" * 256}, "idempotencyKey", "INVALID"),
        ({"idempotencyKey": "  "}, "idempotencyKey", "INVALID"),
        ({"orderId": ""}, "orderId", "INVALID"),
        ({"points": -100}, "points", "INVALID"),
    ],
)
async def test_bad_redemption_input_spends_nothing(gql, tenant, enroll, extra, field, code):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=500)

    data = await gql(
        REDEEM,
        {"input": {"rewardId": reward_id, "memberId": member, **extra}},
        token=tenant.secret_key,
    )

    assert data["redeemReward"]["redemption"] is None
    assert data["redeemReward"]["errors"] == [{"code": code, "field": ["input", field]}]
    assert await available(gql, tenant, member) == 500


@pytest.mark.parametrize("code", ["", "   ", "X" * 10_000, "UNKNOWN-CODE"])
async def test_unknown_codes_are_not_found_for_use_and_cancel(gql, tenant, code):
    used = await gql(USED, {"input": {"code": code, "orderId": "o-1"}}, token=tenant.secret_key)
    cancelled = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)

    assert used["markRedemptionUsed"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "code"]}
    ]
    assert cancelled["cancelRedemption"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "code"]}
    ]


async def test_a_bad_order_id_leaves_the_code_issued(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)

    for order_id in ("", "o" * 256):
        data = await gql(
            USED, {"input": {"code": code, "orderId": order_id}}, token=tenant.secret_key
        )
        assert data["markRedemptionUsed"]["errors"][0]["field"] == ["input", "orderId"]

    again = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
    assert again["cancelRedemption"]["redemption"] == {"status": "CANCELLED"}


@pytest.mark.parametrize("bad_id", ["not-an-id", "TWVtYmVyOjE=", "UmV3YXJkOm5vcGU="])
async def test_catalog_mutations_with_a_bad_id_are_typed_errors(gql, tenant, bad_id):
    update = await gql(UPDATE, {"input": {"id": bad_id, "name": "X"}}, token=tenant.secret_key)
    archive = await gql(ARCHIVE, {"input": {"id": bad_id}}, token=tenant.secret_key)
    imported = await gql(
        IMPORT, {"input": {"rewardId": bad_id, "codes": ["CODE-1"]}}, token=tenant.secret_key
    )

    assert update["updateReward"]["errors"][0]["field"] == ["input", "id"]
    assert archive["archiveReward"]["errors"][0]["field"] == ["input", "id"]
    assert imported["importRewardCodes"]["errors"][0]["field"] == ["input", "rewardId"]


async def test_an_upload_of_too_many_codes_is_refused_whole(gql, tenant):
    reward_id = await make_reward(gql, tenant, codeSource="POOL")
    codes = [f"C-{i:05d}" for i in range(10_001)]

    data = await gql(
        IMPORT, {"input": {"rewardId": reward_id, "codes": codes}}, token=tenant.secret_key
    )

    assert data["importRewardCodes"]["errors"][0]["field"] == ["input", "codes"]


async def test_a_malformed_rewards_cursor_is_refused(gql, tenant):
    errors = await gql.errors(REWARDS, {"after": "garbage"}, token=tenant.secret_key)

    assert errors[0]["extensions"]["field"] == ["after"]
