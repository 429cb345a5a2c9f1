"""Many orders of one member racing across the card's boundary complete exactly the cards
their stamps fill, each into its reward once (a catalog reward while its stock lasts), and
the ledger still sums to the balances."""

from __future__ import annotations

import asyncio

from tests.support.earning import enroll, fetch, order, record
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import make_reward
from tests.support.stamps import set_card, stamps_of


async def test_concurrent_orders_complete_exactly_the_cards_they_fill(clocked, tenant):
    # Given a card of 3 stamps worth 50 points, one stamp per order of $10
    gql, services = clocked.gql, clocked.services
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)

    # When 20 orders of $10 are recorded at once
    results = await asyncio.gather(
        *(record(gql, tenant, order(f"o-{i}", member_id, ("cup", 1, 1000))) for i in range(20))
    )

    # Then every order was accepted, 6 cards completed and 2 stamps start the seventh
    assert [r["errors"] for r in results] == [[]] * 20
    found = await stamps_of(gql, tenant, member_id)
    stamps = found["stamps"]
    assert (stamps["collected"], stamps["cardsCompleted"], stamps["lifetime"]) == (2, 6, 20)
    assert found["points"]["available"] == 20 * 10 + 6 * 50

    # And each card was consumed by one entry of 3 stamps and paid by one of 50 points
    rows = await fetch(
        services,
        tenant,
        """SELECT wallet, kind, available_delta AS delta, count(*) AS n FROM ledger_entries
           WHERE reason = 'Stamp card completed' GROUP BY 1, 2, 3 ORDER BY 1""",
    )
    assert rows == [
        {"wallet": "points", "kind": "EARN", "delta": 50, "n": 6},
        {"wallet": "stamps", "kind": "REDEEM", "delta": -3, "n": 6},
    ]
    await assert_ledger_matches_balances(services, tenant)


async def test_concurrent_retries_of_one_order_stamp_it_once(clocked, tenant):
    # Given a card of 3 stamps
    gql = clocked.gql
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)

    # When the same order is sent 10 times at once
    body = order("o-1", member_id, ("cup", 1, 1000))
    results = await asyncio.gather(*(record(gql, tenant, body) for _ in range(10)))

    # Then it earned one stamp, once
    assert sum(not r["unchanged"] for r in results) == 1
    assert (await stamps_of(gql, tenant, member_id))["stamps"]["lifetime"] == 1
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_concurrent_orders_issue_one_code_per_card_while_stock_lasts(clocked, tenant):
    # Given a card of 3 stamps that completes into a free coffee, 3 of them in stock
    gql, services = clocked.gql, clocked.services
    reward_id = await make_reward(gql, tenant, name="Free coffee", pointsCost=300, stock=3)
    await set_card(gql, tenant, rewardId=reward_id)
    member_id = await enroll(gql, tenant)

    # When 14 orders of $10 are recorded at once: stamps for 4 cards
    results = await asyncio.gather(
        *(record(gql, tenant, order(f"o-{i}", member_id, ("cup", 1, 1000))) for i in range(14))
    )

    # Then 3 cards completed into 3 codes, and the fourth waits full for stock
    assert [r["errors"] for r in results] == [[]] * 14
    stamps = (await stamps_of(gql, tenant, member_id))["stamps"]
    assert (stamps["cardsCompleted"], stamps["available"]) == (3, 5)
    codes = await fetch(services, tenant, "SELECT count(*) AS n FROM redemptions")
    assert codes == [{"n": 3}]
    await assert_ledger_matches_balances(services, tenant)
