"""A retry after a timeout gets the answer it would have got: the replay of an idempotent
points mutation answers the balance as of the first call, even after other changes since,
and never moves points twice."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ADJUST
from tests.support.earning import configure, order, record
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import make_reward, redeem

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
STOREFRONT_ADJUST = (OPERATIONS / "storefront" / "AdjustPoints.graphql").read_text()
RECORD_ACTION = """
mutation Action($input: RecordActionInput!) {
  recordAction(input: $input) {
    entry { points } points { available lifetime } replayed errors { code }
  }
}
"""
BALANCE = "query Balance($id: ID!) { member(id: $id) { points { available lifetime } } }"


async def _adjust(gql, kit, member_id: str, points: int, key: str | None = None) -> dict:
    given = {"memberId": member_id, "points": points, "reason": "Goodwill"}
    if key is not None:
        given["idempotencyKey"] = key
    payload: dict = (await gql(ADJUST, {"input": given}, token=kit.secret_key))["adjustPoints"]
    return payload


async def _balance(gql, kit, member_id: str) -> dict:
    points: dict = (await gql(BALANCE, {"id": member_id}, token=kit.secret_key))["member"]["points"]
    return points


async def test_an_adjustment_replayed_answers_the_balance_of_its_first_call(
    gql, tenant, enroll, services
):
    # given a member credited 30 points under a key, then 5 more without one
    member_id = await enroll(tenant, points=100)
    first = await _adjust(gql, tenant, member_id, 30, key="goodwill-1")
    await _adjust(gql, tenant, member_id, 5)

    # when the first call is retried
    again = await _adjust(gql, tenant, member_id, 30, key="goodwill-1")

    # then it answers what the first call answered, and nothing moved twice
    assert first["points"] == {"available": 130, "pending": 0, "lifetime": 130}
    assert again["replayed"] is True and again["errors"] == []
    assert again["points"] == first["points"]
    assert again["entry"] == first["entry"]
    assert await _balance(gql, tenant, member_id) == {"available": 135, "lifetime": 135}
    await assert_ledger_matches_balances(services, tenant)


async def test_a_deduction_replayed_through_the_storefront_document(gql, tenant, enroll):
    # given a deduction of 40 points under a key, then a credit
    member_id = await enroll(tenant, points=100)
    given = {"memberId": member_id, "points": -40, "reason": "Fix", "idempotencyKey": "fix-1"}
    first = (await gql(STOREFRONT_ADJUST, given, token=tenant.secret_key))["adjustPoints"]
    await _adjust(gql, tenant, member_id, 7)

    # when the store retries the deduction
    again = (await gql(STOREFRONT_ADJUST, given, token=tenant.secret_key))["adjustPoints"]

    # then the retry carries the balance right after the deduction
    assert first["points"]["available"] == 60
    assert again["replayed"] is True
    assert again["points"] == first["points"]
    assert again["points"]["__typename"] == "Points"


async def test_an_action_replayed_answers_the_balance_of_its_first_call(
    gql, tenant, enroll, services
):
    # given an action paying 20 points, recorded under a key, then an adjustment
    await configure(gql, tenant, actions=[{"key": "review", "points": 20}])
    member_id = await enroll(tenant, points=10)
    body = {"memberId": member_id, "action": "review", "idempotencyKey": "review-1"}
    first = (await gql(RECORD_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]
    await _adjust(gql, tenant, member_id, 100)

    # when it is retried
    again = (await gql(RECORD_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]

    # then the first answer comes back
    assert first["points"] == {"available": 30, "lifetime": 30}
    assert again == {**first, "replayed": True}
    await assert_ledger_matches_balances(services, tenant)


async def test_a_redemption_replayed_answers_the_balance_after_its_spend(
    gql, tenant, enroll, services
):
    # given a member who redeemed a 100-point reward under a key, then earned 50 more
    reward_id = await make_reward(gql, tenant)
    member_id = await enroll(tenant, points=250)
    first = await redeem(gql, tenant, reward_id, member_id, idempotencyKey="redeem-1")
    await _adjust(gql, tenant, member_id, 50)

    # when the redemption is retried
    again = await redeem(gql, tenant, reward_id, member_id, idempotencyKey="redeem-1")

    # then it is the same code and the balance right after it was spent
    assert first["points"] == {"available": 150}
    assert again["replayed"] is True
    assert again["redemption"] == first["redemption"]
    assert again["points"] == first["points"]
    assert await _balance(gql, tenant, member_id) == {"available": 200, "lifetime": 300}
    await assert_ledger_matches_balances(services, tenant)


REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) {
    reversedPoints shortfall replayed points { available } errors { code }
  }
}
"""


async def test_a_refund_replayed_answers_its_shortfall_and_the_balance_after_it(
    gql, tenant, enroll, services
):
    # given an order earning 100 points, 80 of them spent, then a refund of half of it
    member_id = await enroll(tenant)
    await record(gql, tenant, order("o-1", member_id, ("a", 1, 10_000)))
    await _adjust(gql, tenant, member_id, -80)
    given = {"orderId": "o-1", "refundId": "r-1", "amount": 5000}
    first = (await gql(REFUND, {"input": given}, token=tenant.secret_key))["refundOrder"]
    await _adjust(gql, tenant, member_id, 30)

    # when the refund is retried
    again = (await gql(REFUND, {"input": given}, token=tenant.secret_key))["refundOrder"]

    # then it answers the first call's shortfall and balance
    assert (first["shortfall"], first["points"]) == (30, {"available": 0})
    assert again == {**first, "replayed": True}
    await assert_ledger_matches_balances(services, tenant)
