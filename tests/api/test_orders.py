"""Orders earn at the program's rate, with a return window, and refunds reverse exactly."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import CLOCK_START
from tests.support.ledger_checks import assert_ledger_matches_balances

CONFIGURE = """
mutation Configure($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { program { version } errors { code field message } }
}
"""
RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) {
    order { orderId paid points earnedPoints breakdown { rule points } }
    pointsDelta unchanged
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) {
    order { refunded reversedPoints }
    reversedPoints shortfall replayed
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
POINTS = "query($id: ID!) { member(id: $id) { points { available pending lifetime debt } } }"
ADJUST = """
mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { errors { code } } }
"""


def order(order_id: str, member_id: str, *lines: tuple[str, int, int], **extra) -> dict:
    return {
        "orderId": order_id,
        "memberId": member_id,
        "currency": "USD",
        "placedAt": CLOCK_START.isoformat(),
        "lines": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in lines],
        **extra,
    }


async def test_an_order_earns_pending_points_that_mature_and_refund_exactly(
    clocked, tenant, enroll
):
    gql, clock = clocked.gql, clocked.clock
    configured = await gql(
        CONFIGURE,
        {"input": {"pointsPerUnit": "2", "pendingDays": 14}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert configured["configureProgram"]["errors"] == []
    member_id = await enroll(tenant)

    recorded = await gql(
        RECORD,
        {"input": order("o-1", member_id, ("tee", 2, 1250), ("mug", 1, 999), discountTotal=499)},
        token=tenant.secret_key,
    )
    result = recorded["recordOrder"]
    assert result["errors"] == []
    assert result["order"]["paid"] == "3000"  # BigInt: 2*12.50 + 9.99 - 4.99
    assert result["pointsDelta"] == 60
    assert result["points"] == {"available": 0, "pending": 60, "lifetime": 60, "debt": 0}

    again = await gql(
        RECORD,
        {"input": order("o-1", member_id, ("tee", 2, 1250), ("mug", 1, 999), discountTotal=499)},
        token=tenant.secret_key,
    )
    assert again["recordOrder"]["unchanged"] is True
    assert again["recordOrder"]["pointsDelta"] == 0

    # A refund inside the return window voids pending points.
    refunded = await gql(
        REFUND,
        {"input": {"orderId": "o-1", "refundId": "r-1", "amount": 1000}},
        token=tenant.secret_key,
    )
    assert refunded["refundOrder"]["reversedPoints"] == 20
    assert refunded["refundOrder"]["points"] == {
        "available": 0,
        "pending": 40,
        "lifetime": 40,
        "debt": 0,
    }

    clock.advance(timedelta(days=14))
    # Maturing happens on the next change of the wallet (or in the worker).
    await gql(ADJUST, {"input": {"memberId": member_id, "points": 1}}, token=tenant.secret_key)
    now = await gql(POINTS, {"id": member_id}, token=tenant.secret_key)
    assert now["member"]["points"] == {"available": 41, "pending": 0, "lifetime": 41, "debt": 0}
    await assert_ledger_matches_balances(clocked.services, tenant)
