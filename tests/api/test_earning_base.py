"""What an order earns on: the lines after discounts by default; shipping and tax when the
program says so."""

from __future__ import annotations

import pytest

from tests.support.earning import configure, earn, enroll, order, points_of, refund
from tests.support.ledger_checks import assert_ledger_matches_balances

PREVIEW = """
query Preview($input: RecordOrderInput!) { previewOrder(input: $input) { points } }
"""
PROGRAM = "query { program { earnOnShipping earnOnTax } }"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, 30),
        ({"earnOnShipping": True}, 35),
        ({"earnOnTax": True}, 32),
        ({"earnOnShipping": True, "earnOnTax": True}, 37),
    ],
)
async def test_shipping_and_tax_earn_only_when_the_program_says_so(
    clocked, tenant, fields, expected
):
    # Given a program earning `fields` at 1 point per dollar
    gql = clocked.gql
    if fields:
        await configure(gql, tenant, **fields)
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, ("a", 2, 1_750), discountTotal=500, shipping=500, tax=240)

    # When an order paying $30.00 of lines, $5.00 of shipping and $2.40 of tax is previewed
    # and recorded
    previewed = await gql(PREVIEW, {"input": body}, token=tenant.secret_key)
    earned = await earn(gql, tenant, body)

    # Then both say the same, and the program shows what it earns on
    assert previewed["previewOrder"]["points"] == earned == expected
    program = await gql(PROGRAM, token=tenant.publishable_key)
    assert program["program"] == {
        "earnOnShipping": fields.get("earnOnShipping", False),
        "earnOnTax": fields.get("earnOnTax", False),
    }


async def test_a_full_refund_takes_back_the_shipping_points_too(clocked, tenant):
    # Given an order that earned 30 points on its lines and 5 on shipping
    gql = clocked.gql
    await configure(gql, tenant, earnOnShipping=True)
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, ("a", 1, 3_000), shipping=500)
    assert await earn(gql, tenant, body) == 35

    # When all it paid for its lines is refunded
    refunded = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=3_000)

    # Then every point it earned goes back
    assert refunded["reversedPoints"] == 35
    assert (await points_of(gql, tenant, member_id))["lifetime"] == 0
    await assert_ledger_matches_balances(clocked.services, tenant)
