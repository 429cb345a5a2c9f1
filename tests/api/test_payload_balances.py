"""Payloads show the member's balance after everything the mutation did: a referral reward
given by a first order, or clawed back by its refund, saves the member's wallet after the
order's own points moved."""

from __future__ import annotations

from tests.api.test_referrals import configure, enrol, member, order, referrer_and_code
from tests.support.ledger_checks import assert_ledger_matches_balances

RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) { points { available pending } errors { code field message } }
}
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) {
    reversedPoints shortfall points { available pending } errors { code field message }
  }
}
"""


async def test_order_and_refund_payloads_show_the_balance_after_the_referral(clocked, tenant):
    # given a friend referred with a 50-point welcome on their first order
    gql = clocked.gql
    assert (await configure(gql, tenant, refereeReward={"points": 50}))["errors"] == []
    _, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]

    # when the first order ($20, 20 points) completes the referral
    recorded = (await gql(RECORD, {"input": order("o-1", friend, 2000)}, token=tenant.secret_key))[
        "recordOrder"
    ]

    # then its payload counts the welcome too, as the member reads it
    assert recorded["errors"] == []
    assert recorded["points"]["available"] == 20 + 50
    assert (await member(gql, tenant, friend))["points"]["available"] == 70

    # when the order is refunded in full, which claws the welcome back
    refund = {"orderId": "o-1", "refundId": "r-1", "amount": 2000}
    refunded = (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"]

    # then the payload shows the balance after the clawback, not between the two
    assert refunded["errors"] == []
    assert refunded["reversedPoints"] == 20
    assert refunded["points"] == {"available": 0, "pending": 0}
    assert (await member(gql, tenant, friend))["points"]["available"] == 0
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_refund_that_moves_only_referral_points_still_shows_the_balance(clocked, tenant):
    # given a program that earns nothing on orders, and a referee rewarded on their first one
    gql = clocked.gql
    assert (await configure(gql, tenant, refereeReward={"points": 40}))["errors"] == []
    _, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]
    recorded = (await gql(RECORD, {"input": order("o-9", friend, 50)}, token=tenant.secret_key))[
        "recordOrder"
    ]
    assert recorded["errors"] == []
    assert recorded["points"]["available"] == 40  # 50 cents earn no point

    # when the order is refunded: no order points to reverse, only the referral's
    refund = {"orderId": "o-9", "refundId": "r-9", "amount": 50}
    refunded = (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"]

    # then the payload still shows where the member ended
    assert refunded["errors"] == []
    assert refunded["reversedPoints"] == 0
    assert refunded["points"] == {"available": 0, "pending": 0}
