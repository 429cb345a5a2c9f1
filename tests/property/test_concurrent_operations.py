"""Random operations on one member, all at once: whatever interleaving the server picks,
no request fails with a 500, every refusal is a typed user error, and afterwards the ledger,
the balance row, the lots, the cache and the reward's stock agree.

Given a member with points, an order, a reward with little stock and two issued codes, when
a random batch of earns, changes, refunds, adjustments, redemptions, cancellations and uses
runs concurrently (asyncio.gather) through the GraphQL API, then the books still add up.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.earning import (
    ADJUST,
    POINTS,
    RECORD,
    REFUND,
    earn,
    enroll,
    fetch,
    order,
)
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import REDEEM, code_of, make_reward

CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { status } errors { code field message } }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code field message } }
}
"""
STOCK = 3
# Refusals the operations below may meet when they race; anything else is a bug.
EXPECTED_REFUSALS = {
    "INSUFFICIENT_POINTS",
    "OUT_OF_STOCK",
    "REDEMPTION_CLOSED",
    "REFUND_EXCEEDS_PAID",
    "ORDER_REFUNDED",
    "LIMIT_REACHED",
}

operation = st.one_of(
    st.tuples(st.just("adjust"), st.integers(-120, 120).filter(bool)),
    st.tuples(st.just("earn"), st.integers(0, 30_000)),
    st.tuples(st.just("change"), st.integers(0, 30_000)),
    st.tuples(st.just("refund"), st.integers(1, 6_000)),
    st.tuples(st.just("redeem"), st.just(0)),
    st.tuples(st.just("retry"), st.just(0)),
    st.tuples(st.just("cancel"), st.integers(0, 1)),
    st.tuples(st.just("use"), st.integers(0, 1)),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=2, max_size=12))
async def test_concurrent_operations_keep_the_books(gql, make_tenant, services, operations):
    # Given
    kit = await make_tenant()
    member = await enroll(gql, kit)
    await earn(gql, kit, order("shared", member, ("sku", 1, 10_000)))
    reward = await make_reward(gql, kit, pointsCost=40, stock=STOCK + 2, perMemberLimit=5)
    codes = [await code_of(gql, kit, reward, member) for _ in range(2)]

    async def run(i: int, kind: str, n: int) -> dict[str, Any]:
        if kind == "adjust":
            body = {"memberId": member, "points": n}
            return await call(ADJUST, body, "adjustPoints")
        if kind == "earn":
            return await call(RECORD, order(f"o-{i}", member, ("sku", 1, n)), "recordOrder")
        if kind == "change":
            return await call(RECORD, order("shared", member, ("sku", 1, n)), "recordOrder")
        if kind == "refund":
            body = {"orderId": "shared", "refundId": f"r-{i}", "amount": n}
            return await call(REFUND, body, "refundOrder")
        if kind == "redeem":
            return await call(REDEEM, {"rewardId": reward, "memberId": member}, "redeemReward")
        if kind == "retry":  # one key: every success is the same redemption
            body = {"rewardId": reward, "memberId": member, "idempotencyKey": "one-key"}
            return await call(REDEEM, body, "redeemReward")
        if kind == "cancel":
            return await call(CANCEL, {"code": codes[n]}, "cancelRedemption")
        return await call(USED, {"code": codes[n], "orderId": f"use-{i}"}, "markRedemptionUsed")

    async def call(document: str, body: dict[str, Any], field: str) -> dict[str, Any]:
        result: dict[str, Any] = (await gql(document, {"input": body}, token=kit.secret_key))[field]
        return result

    # When
    results = await asyncio.gather(*(run(i, kind, n) for i, (kind, n) in enumerate(operations)))

    # Then
    refused = {e["code"] for r in results for e in r["errors"]}
    assert refused <= EXPECTED_REFUSALS, (refused, operations)
    await assert_ledger_matches_balances(services, kit)
    cached = (await gql(POINTS, {"id": member, "days": 30}, token=kit.secret_key))["member"]
    rows = await fetch(services, kit, "SELECT available, pending, lifetime, debt FROM balances")
    assert len(rows) == 1
    row = rows[0]
    assert (cached["points"]["available"], cached["points"]["pending"]) == (
        row["available"] - row["debt"],
        row["pending"],
    )
    assert cached["points"]["lifetime"] == row["lifetime"]
    issued = await fetch(
        services, kit, "SELECT count(*) FILTER (WHERE status <> 'CANCELLED') AS n FROM redemptions"
    )
    stock = await fetch(services, kit, "SELECT issued FROM rewards")
    assert stock[0]["issued"] == issued[0]["n"] <= STOCK + 2
    redeemed = await fetch(
        services,
        kit,
        """SELECT (SELECT -coalesce(sum(available_delta), 0) FROM ledger_entries
                   WHERE kind = 'REDEEM') AS spent,
                  (SELECT coalesce(sum(points), 0) FROM redemptions) AS owed""",
    )
    assert redeemed[0]["spent"] == redeemed[0]["owed"]
    retried = [r for (kind, _), r in zip(operations, results, strict=True) if kind == "retry"]
    done = [r for r in retried if not r["errors"]]
    assert len({r["redemption"]["id"] for r in done}) <= 1, done
    assert len([r for r in done if not r["replayed"]]) <= 1, done
    for which, code in enumerate(codes):
        # Of the cancels and uses racing for one code, at most one moved it.
        moved = [
            r
            for (kind, n), r in zip(operations, results, strict=True)
            if kind in ("cancel", "use") and n == which and not r["errors"]
        ]
        assert len(moved) <= 1, (code, moved)
