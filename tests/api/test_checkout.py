"""Checkout helpers for storefronts: validateCode, redeem-and-apply, markRedemptionUsed and
cancelRedemption, one at a time and racing each other."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import available, code_of, make_reward, member_token, redeem

VALIDATE = """
query Validate($code: String!, $subtotal: Int!, $memberId: ID) {
  validateCode(code: $code, subtotal: $subtotal, memberId: $memberId) {
    valid reason discount freeShipping freeSku redemption { status } reward { kind }
  }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) {
    redemption { status orderId usedAt } errors { code field message }
  }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) {
    redemption { status closedAt } points { available } errors { code field message }
  }
}
"""
REWARD = """
query Reward($id: ID!) { reward(id: $id) { remainingStock } }
"""
REDEEM_AS_MEMBER = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { code } errors { code field message } }
}
"""


@pytest.mark.parametrize(
    ("fields", "subtotal", "expected"),
    [
        pytest.param({"value": 500}, 300, (300, False, None), id="fixed-capped-by-cart"),
        pytest.param({"value": 500}, 2000, (500, False, None), id="fixed"),
        pytest.param(
            {"kind": "PERCENTAGE", "value": None, "percentage": "15", "maxDiscount": 1000},
            5000,
            (750, False, None),
            id="percentage",
        ),
        pytest.param(
            {"kind": "PERCENTAGE", "value": None, "percentage": "15", "maxDiscount": 1000},
            10000,
            (1000, False, None),
            id="percentage-capped",
        ),
        pytest.param(
            {"kind": "PERCENTAGE", "value": None, "percentage": "20"},
            999,
            (199, False, None),
            id="percentage-rounds-down",
        ),
        pytest.param(
            {"kind": "FREE_SHIPPING", "value": None}, 100, (0, True, None), id="free-shipping"
        ),
        pytest.param(
            {"kind": "FREE_PRODUCT", "value": None, "sku": "MUG-1"},
            100,
            (0, False, "MUG-1"),
            id="free-product",
        ),
        pytest.param(
            {"kind": "STORE_CREDIT", "value": 1000}, 5000, (1000, False, None), id="store-credit"
        ),
        pytest.param({"kind": "CUSTOM", "value": None}, 100, (0, False, None), id="custom"),
    ],
)
async def test_validate_code_gives_each_kinds_discount(
    gql, tenant, enroll, fields, subtotal, expected
):
    reward_id = await make_reward(gql, tenant, **fields)
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)

    data = await gql(VALIDATE, {"code": code, "subtotal": subtotal}, token=tenant.secret_key)

    check = data["validateCode"]
    assert check["valid"] is True and check["reason"] is None
    assert (check["discount"], check["freeShipping"], check["freeSku"]) == expected
    assert check["reward"]["kind"] == fields.get("kind", "FIXED_AMOUNT")


async def test_a_cart_below_the_minimum_order_value_is_refused_with_a_reason(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, minOrderValue=3000)
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)

    small = await gql(VALIDATE, {"code": code, "subtotal": 2999}, token=tenant.secret_key)
    enough = await gql(VALIDATE, {"code": code, "subtotal": 3000}, token=tenant.secret_key)

    assert small["validateCode"]["valid"] is False
    assert "3000" in small["validateCode"]["reason"]
    assert small["validateCode"]["discount"] is None
    assert enough["validateCode"]["valid"] is True


async def test_another_members_code_is_unknown_to_a_member_token_and_to_a_named_member(
    gql, tenant, enroll
):
    reward_id = await make_reward(gql, tenant)
    owner = await enroll(tenant, points=100)
    other = await enroll(tenant)
    code = await code_of(gql, tenant, reward_id, owner)

    as_other = await gql(
        VALIDATE, {"code": code, "subtotal": 1000}, token=await member_token(gql, tenant, other)
    )
    as_owner = await gql(
        VALIDATE, {"code": code, "subtotal": 1000}, token=await member_token(gql, tenant, owner)
    )
    named_other = await gql(
        VALIDATE, {"code": code, "subtotal": 1000, "memberId": other}, token=tenant.secret_key
    )

    assert as_other["validateCode"] == {
        "valid": False,
        "reason": "Unknown code.",
        "discount": None,
        "freeShipping": False,
        "freeSku": None,
        "redemption": None,
        "reward": None,
    }
    assert named_other["validateCode"]["valid"] is False
    assert as_owner["validateCode"]["valid"] is True


async def test_used_cancelled_and_unknown_codes_are_invalid_with_a_reason(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=300)
    used = await code_of(gql, tenant, reward_id, member)
    cancelled = await code_of(gql, tenant, reward_id, member)
    await gql(USED, {"input": {"code": used, "orderId": "o-1"}}, token=tenant.secret_key)
    await gql(CANCEL, {"input": {"code": cancelled}}, token=tenant.secret_key)

    reasons = [
        (await gql(VALIDATE, {"code": c, "subtotal": 1000}, token=tenant.secret_key))[
            "validateCode"
        ]
        for c in (used, cancelled.lower(), "NO-SUCH-CODE")
    ]

    assert [(r["valid"], r["reason"]) for r in reasons] == [
        (False, "This code is used."),
        (False, "This code is cancelled."),
        (False, "Unknown code."),
    ]
    assert [r["redemption"] and r["redemption"]["status"] for r in reasons] == [
        "USED",
        "CANCELLED",
        None,
    ]


async def test_a_negative_subtotal_is_refused(gql, tenant):
    errors = await gql.errors(VALIDATE, {"code": "X", "subtotal": -1}, token=tenant.secret_key)

    assert errors[0]["extensions"]["field"] == ["subtotal"]


async def test_redeem_and_apply_in_one_call_marks_the_code_used(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=250)

    applied = await redeem(gql, tenant, reward_id, member, orderId=" order-42 ")

    redemption = applied["redemption"]
    assert applied["errors"] == []
    assert (redemption["status"], redemption["orderId"]) == ("USED", "order-42")
    assert redemption["usedAt"] is not None
    assert applied["points"] == {"available": 150}
    code = redemption["code"]
    check = await gql(VALIDATE, {"code": code, "subtotal": 1000}, token=tenant.secret_key)
    assert check["validateCode"]["reason"] == "This code is used."
    again = await gql(
        USED, {"input": {"code": code, "orderId": "order-42"}}, token=tenant.secret_key
    )
    assert again["markRedemptionUsed"]["errors"] == []  # the same checkout, retried
    other = await gql(
        USED, {"input": {"code": code, "orderId": "order-43"}}, token=tenant.secret_key
    )
    assert other["markRedemptionUsed"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    cancel = await gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
    assert cancel["cancelRedemption"]["errors"][0]["code"] == "REDEMPTION_CLOSED"
    assert await available(gql, tenant, member) == 150
    await assert_ledger_matches_balances(services, tenant)


@pytest.mark.parametrize("order_id", ["   ", "x" * 256])
async def test_a_bad_order_id_redeems_nothing(gql, tenant, enroll, order_id):
    reward_id = await make_reward(gql, tenant, stock=3)
    member = await enroll(tenant, points=250)

    refused = await redeem(gql, tenant, reward_id, member, orderId=order_id)

    assert refused["redemption"] is None
    assert refused["errors"][0]["field"] == ["input", "orderId"]
    assert await available(gql, tenant, member) == 250
    stock = await gql(REWARD, {"id": reward_id}, token=tenant.secret_key)
    assert stock["reward"]["remainingStock"] == 3


async def test_concurrent_cancels_return_points_and_stock_exactly_once(
    gql, tenant, enroll, services
):
    reward_id = await make_reward(gql, tenant, stock=2)
    member = await enroll(tenant, points=300)
    code = await code_of(gql, tenant, reward_id, member)

    results = await asyncio.gather(
        *(gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key) for _ in range(10))
    )

    payloads = [r["cancelRedemption"] for r in results]
    done = [p for p in payloads if not p["errors"]]
    assert len(done) == 1
    assert done[0]["redemption"]["status"] == "CANCELLED"
    assert done[0]["redemption"]["closedAt"] is not None
    assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"REDEMPTION_CLOSED"}
    assert await available(gql, tenant, member) == 300
    stock = await gql(REWARD, {"id": reward_id}, token=tenant.secret_key)
    assert stock["reward"]["remainingStock"] == 2
    await assert_ledger_matches_balances(services, tenant)


async def test_a_code_is_used_once_when_checkouts_race(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)

    results = await asyncio.gather(
        *(
            gql(USED, {"input": {"code": code, "orderId": f"o-{i}"}}, token=tenant.secret_key)
            for i in range(10)
        )
    )

    payloads = [r["markRedemptionUsed"] for r in results]
    winners = [p["redemption"]["orderId"] for p in payloads if not p["errors"]]
    assert len(winners) == 1
    assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"REDEMPTION_CLOSED"}


async def test_cancel_and_use_racing_on_one_code_let_exactly_one_win(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=100)
    code = await code_of(gql, tenant, reward_id, member)

    results = await asyncio.gather(
        *(
            gql(CANCEL, {"input": {"code": code}}, token=tenant.secret_key)
            if i % 2
            else gql(USED, {"input": {"code": code, "orderId": "o-1"}}, token=tenant.secret_key)
            for i in range(10)
        )
    )

    payloads = [r.get("cancelRedemption") or r["markRedemptionUsed"] for r in results]
    cancelled = [
        p for p in payloads if not p["errors"] and p["redemption"]["status"] == "CANCELLED"
    ]
    used = [p for p in payloads if not p["errors"] and p["redemption"]["status"] == "USED"]
    # Either one cancel won (and every use was refused), or a use won (and every cancel was).
    assert (len(cancelled), bool(used)) in ((1, False), (0, True))
    assert await available(gql, tenant, member) == (100 if cancelled else 0)
    await assert_ledger_matches_balances(services, tenant)


async def test_concurrent_retries_with_one_key_issue_one_code(gql, tenant, enroll, services):
    reward_id = await make_reward(gql, tenant, stock=10)
    member = await enroll(tenant, points=500)

    results = await asyncio.gather(
        *(redeem(gql, tenant, reward_id, member, idempotencyKey="checkout-9") for _ in range(8))
    )

    assert [r["errors"] for r in results] == [[]] * 8
    assert len({r["redemption"]["code"] for r in results}) == 1
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 7
    assert await available(gql, tenant, member) == 400
    stock = await gql(REWARD, {"id": reward_id}, token=tenant.secret_key)
    assert stock["reward"]["remainingStock"] == 9
    await assert_ledger_matches_balances(services, tenant)


async def test_a_key_reused_for_another_reward_is_refused(gql, tenant, enroll):
    first = await make_reward(gql, tenant)
    second = await make_reward(gql, tenant, name="Other")
    member = await enroll(tenant, points=500)
    await redeem(gql, tenant, first, member, idempotencyKey="k-1")

    reused = await redeem(gql, tenant, second, member, idempotencyKey="k-1")

    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await available(gql, tenant, member) == 400


async def test_a_member_token_redeems_and_cancels_for_its_own_member_only(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant)
    member = await enroll(tenant, points=200)
    other = await enroll(tenant, points=200)
    token = await member_token(gql, tenant, member)
    others_code = await code_of(gql, tenant, reward_id, other)

    own = await gql(REDEEM_AS_MEMBER, {"input": {"rewardId": reward_id}}, token=token)
    for_other = await gql(
        REDEEM_AS_MEMBER, {"input": {"rewardId": reward_id, "memberId": other}}, token=token
    )
    cancel_other = await gql(CANCEL, {"input": {"code": others_code}}, token=token)

    assert own["redeemReward"]["errors"] == []
    assert for_other["redeemReward"]["errors"][0]["field"] == ["input", "memberId"]
    assert cancel_other["cancelRedemption"]["errors"][0]["code"] == "NOT_FOUND"
    assert await available(gql, tenant, member) == 100
    assert await available(gql, tenant, other) == 100


APPLY = """
mutation Apply($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    redemption { status orderId }
    discount { amount freeShipping freeSku }
    replayed
    errors { code field message }
  }
}
"""


async def test_redeem_and_apply_checks_the_cart_and_says_what_comes_off(gql, tenant, enroll):
    reward_id = await make_reward(
        gql,
        tenant,
        kind="PERCENTAGE",
        value=None,
        percentage="10",
        maxDiscount=800,
        minOrderValue=2000,
    )
    member = await enroll(tenant, points=300)
    given = {"rewardId": reward_id, "memberId": member, "orderId": "o-7"}

    small = await gql(APPLY, {"input": {**given, "subtotal": 1999}}, token=tenant.secret_key)
    negative = await gql(APPLY, {"input": {**given, "subtotal": -1}}, token=tenant.secret_key)
    applied = await gql(
        APPLY,
        {"input": {**given, "subtotal": 12000, "idempotencyKey": "cart-7"}},
        token=tenant.secret_key,
    )
    retried = await gql(
        APPLY,
        {"input": {**given, "subtotal": 12000, "idempotencyKey": "cart-7"}},
        token=tenant.secret_key,
    )

    assert small["redeemReward"]["errors"][0]["code"] == "MIN_ORDER_NOT_MET"
    assert small["redeemReward"]["errors"][0]["field"] == ["input", "subtotal"]
    assert negative["redeemReward"]["errors"][0]["field"] == ["input", "subtotal"]
    assert applied["redeemReward"]["errors"] == []
    assert applied["redeemReward"]["redemption"] == {"status": "USED", "orderId": "o-7"}
    assert applied["redeemReward"]["discount"] == {
        "amount": 800,
        "freeShipping": False,
        "freeSku": None,
    }
    assert retried["redeemReward"]["replayed"] is True
    assert retried["redeemReward"]["discount"] == applied["redeemReward"]["discount"]
    assert await available(gql, tenant, member) == 200


IMPORT = """
mutation Import($input: ImportRewardCodesInput!) {
  importRewardCodes(input: $input) { imported errors { code message } }
}
"""


async def test_racing_members_share_a_small_code_pool_without_a_code_twice(
    gql, tenant, enroll, services
):
    reward_id = await make_reward(gql, tenant, codeSource="POOL", pointsCost=10)
    pool = ["RACE-1", "RACE-2", "RACE-3"]
    imported = await gql(
        IMPORT, {"input": {"rewardId": reward_id, "codes": pool}}, token=tenant.secret_key
    )
    assert imported["importRewardCodes"]["imported"] == 3
    members = await asyncio.gather(*(enroll(tenant, points=10) for _ in range(12)))

    results = await asyncio.gather(*(redeem(gql, tenant, reward_id, m) for m in members))

    issued = sorted(r["redemption"]["code"] for r in results if not r["errors"])
    assert issued == pool
    assert {r["errors"][0]["code"] for r in results if r["errors"]} == {"CODE_POOL_EXHAUSTED"}
    balances = [await available(gql, tenant, m) for m in members]
    assert sorted(balances) == [0] * 3 + [10] * 9
    await assert_ledger_matches_balances(services, tenant)


UPDATE = """
mutation Update($input: UpdateRewardInput!) {
  updateReward(input: $input) { errors { code field message } }
}
"""


async def test_editing_a_reward_leaves_the_codes_already_issued_as_they_were(gql, tenant, enroll):
    reward_id = await make_reward(
        gql, tenant, kind="PERCENTAGE", value=None, percentage="10", maxDiscount=500
    )
    member = await enroll(tenant, points=200)
    before = await code_of(gql, tenant, reward_id, member)

    edited = await gql(
        UPDATE,
        {
            "input": {
                "id": reward_id,
                "percentage": "50",
                "minOrderValue": 9000,
                "clear": ["maxDiscount"],
            }
        },
        token=tenant.secret_key,
    )
    after = await code_of(gql, tenant, reward_id, member)

    assert edited["updateReward"]["errors"] == []
    old = await gql(VALIDATE, {"code": before, "subtotal": 8000}, token=tenant.secret_key)
    new_small = await gql(VALIDATE, {"code": after, "subtotal": 8000}, token=tenant.secret_key)
    new = await gql(VALIDATE, {"code": after, "subtotal": 10000}, token=tenant.secret_key)
    assert (old["validateCode"]["valid"], old["validateCode"]["discount"]) == (True, 500)
    assert new_small["validateCode"]["valid"] is False
    assert new["validateCode"]["discount"] == 5000
