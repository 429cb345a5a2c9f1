"""Stamps in the transactions of orders, refunds and actions (domain/stamps.py), on fakes."""

from __future__ import annotations

from dataclasses import replace

from domain.actions import record_action
from domain.earning import OrderLine
from domain.ledger import EntryKind
from domain.orders import record_order
from domain.points import AdjustPoints, adjust_points
from domain.program import ActionRule
from domain.stamp_card import STAMPS_WALLET, StampCard, StampRule

CARD = StampCard(
    enabled=True, card_size=3, rules=(StampRule("coffee", 1, skus=("coffee",)),), reward_points=20
)


async def _stamps(world, member_id):
    async with world.uow() as uow:
        return await uow.ledger.read_balance(member_id, STAMPS_WALLET)


async def test_an_order_filling_two_cards_completes_both_and_carries_the_rest(world):
    # given a card of 3 stamps, one per coffee, worth 20 points
    await world.configure(stamp_card=CARD)
    member = await world.member()

    # when an order buys 7 coffees at $1
    result = await record_order(
        world.uow,
        world.cache,
        world.clock,
        world.order(member.id, "o-1", OrderLine("coffee", 7, 100)),
    )

    # then 7 stamps were earned, two cards consumed 6 of them, and 40 points were given
    stamps = await _stamps(world, member.id)
    assert (result.stamps, stamps.available, stamps.lifetime) == (7, 1, 7)
    assert (await world.balance(member.id)).available == 7 + 40
    redeemed = [
        e.entry for e in world.db.tables.entries.values() if e.entry.kind is EntryKind.REDEEM
    ]
    assert [(e.wallet, e.available_delta) for e in redeemed] == [(STAMPS_WALLET, -3)] * 2


async def test_a_changed_order_moves_stamps_by_the_difference(world):
    # given an order of 2 coffees that earned 2 stamps
    await world.configure(stamp_card=CARD)
    member = await world.member()
    two = world.order(member.id, "o-1", OrderLine("coffee", 2, 100))
    await record_order(world.uow, world.cache, world.clock, two)

    # when the store sends it again with 1 coffee
    one = world.order(member.id, "o-1", OrderLine("coffee", 1, 100))
    changed = await record_order(world.uow, world.cache, world.clock, one)

    # then one stamp went back
    assert changed.stamps == -1
    assert (await _stamps(world, member.id)).available == 1


async def test_a_refund_reverses_stamps_in_proportion(world):
    # given an order of 2 coffees that earned 2 stamps
    await world.configure(stamp_card=CARD)
    member = await world.member()
    two = world.order(member.id, "o-1", OrderLine("coffee", 2, 100))
    await record_order(world.uow, world.cache, world.clock, two)

    # when all of it is refunded
    await world.refund(amount=200)

    # then both stamps went back
    stamps = await _stamps(world, member.id)
    assert (stamps.available, stamps.lifetime) == (0, 0)


async def test_an_action_stamps_the_card(world):
    # given a check-in action worth 5 points and a stamp
    card = StampCard(
        enabled=True,
        card_size=2,
        rules=(StampRule("visit", 1, action="check_in"),),
        reward_points=9,
    )
    await world.configure(actions=(ActionRule("check_in", 5),), stamp_card=card)
    member = await world.member()

    # when the member checks in twice
    for key in ("a", "b"):
        await record_action(
            world.uow,
            world.cache,
            world.clock,
            member_id=member.id,
            action="check_in",
            idempotency_key=key,
        )

    # then the card completed into its 9 points
    assert (await _stamps(world, member.id)).lifetime == 2
    assert (await world.balance(member.id)).available == 5 + 5 + 9


async def test_a_card_filled_by_hand_completes_on_the_next_stamp_even_if_it_does_not_reset(world):
    # given a card of 3 that completes once, filled with 3 stamps by an operator
    await world.configure(stamp_card=replace(CARD, resets=False))
    member = await world.member()
    await adjust_points(
        world.uow,
        world.cache,
        world.clock,
        AdjustPoints(member.id, 3, STAMPS_WALLET, "goodwill", None, None),
    )

    # when the member buys a coffee
    coffee = world.order(member.id, "o-1", OrderLine("coffee", 1, 100))
    result = await record_order(world.uow, world.cache, world.clock, coffee)

    # then no stamp went on the full card, and the card completed into its 20 points
    stamps = await _stamps(world, member.id)
    assert (result.stamps, stamps.available, stamps.lifetime) == (0, 0, 3)
    assert (await world.balance(member.id)).available == 1 + 20
