"""Refunds reverse points in proportion to the money refunded, at the rate the points were
earned at; pending points are voided; spent points follow the program's clawback policy."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.support.earning import (
    adjust,
    balance,
    configure,
    earn,
    enroll,
    fetch,
    lots_of,
    order,
    points_of,
    record,
    refund,
)
from tests.support.ledger_checks import assert_ledger_matches_balances

HISTORY = """
query History($id: ID!) {
  member(id: $id) { history(first: 10) { nodes { kind points rate configVersion } } }
}
"""
REFUND_BY_LINES = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) { order { refunded } reversedPoints errors { code field } }
}
"""


async def spent_member(gql, tenant, policy: str) -> str:
    """A member who earned 100 points on order o-1, got 30 more by hand, then spent 90:
    the order's lot has 10 left, the hand-given lot 30."""
    await configure(gql, tenant, refundPolicy=policy)
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 10_000))) == 100
    assert (await adjust(gql, tenant, member_id, 30))["errors"] == []
    assert (await adjust(gql, tenant, member_id, -90))["errors"] == []
    return member_id


async def test_a_partial_refund_after_partial_spending_claws_back_what_is_available(
    clocked, tenant
):
    # Given a member with 40 points left of 130, 90 of them spent, under the default policy
    gql, services = clocked.gql, clocked.services
    member_id = await spent_member(gql, tenant, "CLAWBACK_AVAILABLE")
    assert await lots_of(services, tenant) == [(100, 10, False), (30, 30, False)]

    # When $60 of the $100 order is refunded
    first = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=6000)

    # Then 60 points are due back: the order's 10, then 30 from elsewhere, and 20 are a
    # recorded shortfall; the balance never goes below zero
    assert first["errors"] == []
    assert (first["reversedPoints"], first["shortfall"]) == (60, 20)
    assert balance(first["points"]) == (0, 0, 70, 0)
    assert await lots_of(services, tenant) == [(100, 0, False), (30, 0, False)]

    # And the rest of the order, refunded later, is all shortfall
    rest = await refund(gql, tenant, orderId="o-1", refundId="r-2", amount=4000)
    assert (rest["reversedPoints"], rest["shortfall"]) == (40, 40)
    assert rest["order"] == {"refunded": "10000", "reversedPoints": 100, "points": 0}
    assert balance(await points_of(gql, tenant, member_id)) == (0, 0, 30, 0)
    shortfalls = await fetch(
        services, tenant, "SELECT sum(shortfall)::int AS s FROM ledger_entries"
    )
    assert shortfalls == [{"s": 60}]
    await assert_ledger_matches_balances(services, tenant)


async def test_a_partial_refund_after_partial_spending_owes_the_rest_as_debt(clocked, tenant):
    # Given the same member under the allow-negative policy
    gql, services = clocked.gql, clocked.services
    member_id = await spent_member(gql, tenant, "ALLOW_NEGATIVE")

    # When $60 of the order is refunded
    first = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=6000)

    # Then the 20 points that were spent become a debt the member sees as a negative balance
    assert (first["reversedPoints"], first["shortfall"]) == (60, 20)
    assert balance(first["points"]) == (-20, 0, 70, 20)

    # And nothing can be spent while the debt stands
    refused = await adjust(gql, tenant, member_id, -1)
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_POINTS"]

    # And the next earning pays the debt first
    assert await earn(gql, tenant, order("o-2", member_id, ("a", 1, 5_000))) == 50
    assert balance(await points_of(gql, tenant, member_id)) == (30, 0, 120, 0)
    assert await lots_of(services, tenant) == [(100, 0, False), (30, 0, False), (50, 30, False)]
    await assert_ledger_matches_balances(services, tenant)


async def test_debt_is_paid_from_pending_points_when_they_mature(clocked, tenant):
    # Given a member in debt of 20 and an order of 50 points still in its return window
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    member_id = await spent_member(gql, tenant, "ALLOW_NEGATIVE")
    await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=6000)
    await configure(gql, tenant, pendingDays=7)
    placed = clock.now()
    assert await earn(gql, tenant, order("o-2", member_id, ("a", 1, 5_000), placed_at=placed)) == 50
    assert balance(await points_of(gql, tenant, member_id)) == (-20, 50, 120, 20)

    # When the window ends and the wallet is next touched
    clock.advance(timedelta(days=7))
    assert (await adjust(gql, tenant, member_id, 1))["errors"] == []

    # Then the matured points paid the debt first
    assert balance(await points_of(gql, tenant, member_id)) == (31, 0, 121, 0)
    await assert_ledger_matches_balances(services, tenant)


async def test_the_policy_in_force_at_refund_time_decides(clocked, tenant):
    # Given points earned and spent under the clawback policy
    gql, services = clocked.gql, clocked.services
    member_id = await spent_member(gql, tenant, "CLAWBACK_AVAILABLE")

    # When the program switches to allow-negative and the order is refunded in full
    await configure(gql, tenant, refundPolicy="ALLOW_NEGATIVE")
    refunded = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=10_000)

    # Then what could not be taken back is owed
    assert (refunded["reversedPoints"], refunded["shortfall"]) == (100, 60)
    assert balance(refunded["points"]) == (-60, 0, 30, 60)
    assert balance(await points_of(gql, tenant, member_id)) == (-60, 0, 30, 60)
    await assert_ledger_matches_balances(services, tenant)


async def test_a_refund_in_the_return_window_voids_pending_points_only(clocked, tenant):
    # Given 25 available points, and an order of 100 points in a 14-day return window
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    member_id = await enroll(gql, tenant)
    assert (await adjust(gql, tenant, member_id, 25))["errors"] == []
    await configure(gql, tenant, pendingDays=14)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 2, 5_000))) == 100

    # When 3 days later $30 is refunded
    clock.advance(timedelta(days=3))
    refunded = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=3000)

    # Then 30 pending points are voided and the available ones are untouched
    assert (refunded["reversedPoints"], refunded["shortfall"]) == (30, 0)
    assert balance(refunded["points"]) == (25, 70, 95, 0)
    kinds = await fetch(
        services,
        tenant,
        "SELECT available_delta, pending_delta FROM ledger_entries WHERE kind = 'REVERSE'",
    )
    assert kinds == [{"available_delta": 0, "pending_delta": -30}]

    # And what is left matures at the end of the window
    clock.advance(timedelta(days=11))
    assert (await adjust(gql, tenant, member_id, 1))["errors"] == []
    assert balance(await points_of(gql, tenant, member_id)) == (96, 0, 96, 0)
    await assert_ledger_matches_balances(services, tenant)


async def test_a_refund_reverses_at_the_rate_the_points_were_earned_at(clocked, tenant):
    # Given an order of $50 earned at 2 points per dollar
    gql, services = clocked.gql, clocked.services
    earned_version = await configure(gql, tenant, pointsPerUnit="2")
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 5_000))) == 100

    # When the rate becomes 5 points per dollar and half the order is refunded
    await configure(gql, tenant, pointsPerUnit="5")
    refunded = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=2500)

    # Then 50 points go back (half of what was earned), not 125 at today's rate
    assert refunded["reversedPoints"] == 50
    assert balance(refunded["points"]) == (50, 0, 50, 0)

    # And the reversal records the version and rate the points were earned under
    entries = await fetch(
        services, tenant, "SELECT kind, rate, config_version FROM ledger_entries ORDER BY id"
    )
    assert entries == [
        {"kind": "EARN", "rate": f"v{earned_version}:2/USD", "config_version": earned_version},
        {"kind": "REVERSE", "rate": f"v{earned_version}:2/USD", "config_version": earned_version},
    ]
    history = await gql(HISTORY, {"id": member_id}, token=tenant.secret_key)
    assert history["member"]["history"]["nodes"] == [
        {"kind": "REVERSE", "points": -50, "rate": "v1:2/USD", "configVersion": earned_version},
        {"kind": "EARN", "points": 100, "rate": "v1:2/USD", "configVersion": earned_version},
    ]
    await assert_ledger_matches_balances(services, tenant)


async def test_partial_refunds_add_up_to_exactly_what_was_earned(clocked, tenant):
    # Given an order of $99.99 that earned 99 points
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 9_999))) == 99

    # When it is refunded in three uneven parts
    reversed_points = [
        (await refund(gql, tenant, orderId="o-1", refundId=f"r-{i}", amount=amount))[
            "reversedPoints"
        ]
        for i, amount in enumerate((3_333, 3_333, 3_333))
    ]

    # Then the reversals, each rounded on the running total, add up to exactly 99
    assert reversed_points == [33, 33, 33]
    assert balance(await points_of(gql, tenant, member_id)) == (0, 0, 0, 0)
    await assert_ledger_matches_balances(services, tenant)


async def test_refunding_every_line_one_by_one_refunds_exactly_what_was_paid(clocked, tenant):
    # Given three $1 lines with a 1 cent discount: $2.99 paid, 2 points earned
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, ("a", 1, 100), ("b", 1, 100), ("c", 1, 100), discountTotal=1)
    assert await earn(gql, tenant, body) == 2

    # When each line is refunded on its own (each share of the discount rounds up)
    results = []
    for i, sku in enumerate("abc"):
        data = await gql(
            REFUND_BY_LINES,
            {"input": {"orderId": "o-1", "refundId": f"r-{i}",
                       "lines": [{"sku": sku, "quantity": 1}]}},
            token=tenant.secret_key,
        )  # fmt: skip
        results.append(data["refundOrder"])

    # Then all three are accepted, the last one taking what is left to refund
    assert [r["errors"] for r in results] == [[], [], []]
    assert [r["order"]["refunded"] for r in results] == ["100", "200", "299"]
    assert sum(r["reversedPoints"] for r in results) == 2
    assert balance(await points_of(gql, tenant, member_id)) == (0, 0, 0, 0)
    await assert_ledger_matches_balances(services, tenant)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"amount": 10_001}, "REFUND_EXCEEDS_PAID", ["input", "amount"]),
        ({"amount": 0}, "INVALID", ["input", "amount"]),
        ({"amount": -5}, "INVALID", ["input", "amount"]),
        ({"lines": [{"sku": "a", "quantity": 2}]}, "INVALID", ["input", "lines", "0", "quantity"]),
        ({"lines": [{"sku": "zz", "quantity": 1}]}, "INVALID", ["input", "lines", "0", "sku"]),
        ({"amount": 100, "lines": [{"sku": "a", "quantity": 1}]}, "REQUIRED", ["input", "amount"]),
    ],
)
async def test_refunds_beyond_what_was_paid_or_malformed_are_refused_and_write_nothing(
    clocked, tenant, fields, code, field
):
    # Given a $100 order of 100 points
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 10_000))) == 100

    # When a bad refund is asked for
    result = await refund(gql, tenant, orderId="o-1", refundId="r-1", **fields)

    # Then it is a typed error, and nothing moved
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]
    assert balance(await points_of(gql, tenant, member_id)) == (100, 0, 100, 0)
    assert await fetch(services, tenant, "SELECT * FROM refunds") == []


async def test_a_refund_of_an_unknown_order_is_not_found(clocked, tenant):
    result = await refund(clocked.gql, tenant, orderId="nope", refundId="r-1", amount=1)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("NOT_FOUND", ["input", "orderId"])
    ]


async def test_a_refund_replayed_moves_nothing_and_its_id_cannot_be_reused(clocked, tenant):
    # Given a refund of $40 on a $100 order
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 10_000))) == 100
    first = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=4000)
    assert first["reversedPoints"] == 40

    # When it is sent again, and its id is then used for another amount
    again = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=4000)
    reused = await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=1000)

    # Then the replay reports the first result, the reuse is refused, and 40 points moved
    assert (again["replayed"], again["reversedPoints"], again["errors"]) == (True, 40, [])
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert balance(await points_of(gql, tenant, member_id)) == (60, 0, 60, 0)
    await assert_ledger_matches_balances(services, tenant)


async def test_a_refunded_order_can_no_longer_change_through_record_order(clocked, tenant):
    gql = clocked.gql
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 2, 1_000))) == 20
    await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=500)

    changed = await record(gql, tenant, order("o-1", member_id, ("a", 3, 1_000)))

    assert [e["code"] for e in changed["errors"]] == ["ORDER_REFUNDED"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("CLAWBACK_AVAILABLE", (0, 0, 50, 0)), ("ALLOW_NEGATIVE", (-40, 0, 50, 40))],
)
async def test_an_order_shrunk_after_its_points_were_spent_follows_the_policy(
    clocked, tenant, policy, expected
):
    # Given an order of 100 points of which 90 were spent
    gql, services = clocked.gql, clocked.services
    await configure(gql, tenant, refundPolicy=policy)
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 2, 5_000))) == 100
    assert (await adjust(gql, tenant, member_id, -90))["errors"] == []

    # When the store corrects the order to one unit
    shrunk = await record(gql, tenant, order("o-1", member_id, ("a", 1, 5_000)))

    # Then 50 points are taken back as far as they can be, the rest per the policy
    assert shrunk["errors"] == []
    assert shrunk["pointsDelta"] == -50
    assert balance(await points_of(gql, tenant, member_id)) == expected
    recorded = await fetch(
        services, tenant, "SELECT shortfall FROM ledger_entries WHERE kind = 'REVERSE'"
    )
    assert recorded == [{"shortfall": 40}]
    await assert_ledger_matches_balances(services, tenant)


async def test_concurrent_retries_of_an_order_and_its_refunds_move_points_once(clocked, tenant):
    # Given a member
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, ("a", 1, 10_000))

    # When the order is sent 10 times at once, then refund r-1 ($30) 10 times at once, and
    # then 10 different refunds of $30 each at once (only two more fit in the $100)
    recorded = await asyncio.gather(*(record(gql, tenant, body) for _ in range(10)))
    retried = await asyncio.gather(
        *(refund(gql, tenant, orderId="o-1", refundId="r-1", amount=3000) for _ in range(10))
    )
    raced = await asyncio.gather(
        *(refund(gql, tenant, orderId="o-1", refundId=f"r-x{i}", amount=3000) for i in range(10))
    )

    # Then the order earned once, r-1 reversed once, and exactly two of the others went through
    assert sorted(r["pointsDelta"] for r in recorded) == [0] * 9 + [100]
    assert sorted(r["replayed"] for r in retried) == [False] + [True] * 9
    assert (
        sorted(tuple(e["code"] for e in r["errors"]) for r in raced)
        == [()] * 2 + [("REFUND_EXCEEDS_PAID",)] * 8
    )
    assert balance(await points_of(gql, tenant, member_id)) == (10, 0, 10, 0)
    await assert_ledger_matches_balances(services, tenant)
