"""Recording, previewing and refunding orders (domain/orders.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.earning import OrderLine
from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused
from domain.ledger import EntryKind
from domain.order_preview import preview_member_order
from domain.orders import RefundLine, record_order
from domain.points import AdjustPoints, adjust_points
from domain.program import RefundPolicy


async def test_an_order_earns_its_points_once_however_often_it_is_sent(world):
    # given a member
    member = await world.member()

    # when a $50 order is recorded, then sent again unchanged
    first = await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    again = await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # then it earned 50 points once, with a lot tied to the order
    assert (first.points_delta, first.balance.available) == (50, 50)
    assert again.unchanged and again.points_delta == 0
    assert (await world.balance(member.id)).available == 50
    assert [lot.order_id for lot in world.db.tables.lots.values()] == ["o-1"]


async def test_a_changed_order_moves_points_by_the_difference(world):
    # given a recorded $50 order
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # when it grows to $80, then shrinks to $30
    grown = world.order(member.id, "o-1", OrderLine("tee", 2, 2500), OrderLine("cap", 1, 3000))
    up = await record_order(world.uow, world.cache, world.clock, grown)
    shrunk = world.order(member.id, "o-1", OrderLine("cap", 1, 3000))
    down = await record_order(world.uow, world.cache, world.clock, shrunk)

    # then points followed, each move one entry
    assert (up.points_delta, down.points_delta) == (30, -50)
    assert (await world.balance(member.id)).available == 30
    kinds = [e.entry.kind for e in world.db.tables.entries.values()]
    assert kinds == [EntryKind.EARN, EntryKind.EARN, EntryKind.REVERSE]


async def test_points_wait_out_the_return_window_as_pending(world):
    # given a program with a 14-day return window and a member
    await world.configure(pending_days=14)
    member = await world.member()

    # when an order is recorded
    result = await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # then its points are pending, and available once the window has passed
    assert (result.balance.available, result.balance.pending) == (0, 50)
    world.clock.advance(timedelta(days=14))
    later = await world.adjust(member.id, 1)
    assert (later.available, later.pending) == (51, 0)


async def test_a_guest_order_earns_nothing_until_it_gains_a_member(world):
    # given a guest order
    member = await world.member()
    guest = await record_order(world.uow, world.cache, world.clock, world.order(None))

    # when the same order is sent again with the member
    claimed = await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # then only then it earned
    assert guest.record.earned_points == 0 and guest.balance is None
    assert claimed.points_delta == 50


async def test_an_order_cannot_change_member_or_currency(world):
    # given an order of one member
    ann, bob = await world.member(), await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(ann.id))

    # when it is sent for another member, or in another currency
    with pytest.raises(DomainError) as other_member:
        await record_order(world.uow, world.cache, world.clock, world.order(bob.id))
    euros = replace(world.order(ann.id), currency="EUR")
    with pytest.raises(DomainError) as other_currency:
        await record_order(world.uow, world.cache, world.clock, euros)

    # then both are refused and Bob has nothing
    assert other_member.value.field == ("memberId",)
    assert other_currency.value.field == ("currency",)
    assert (await world.balance(bob.id)).lifetime == 0


async def test_an_order_in_another_currency_than_the_program_is_refused(world):
    # when a member's order is in euros in a dollar program
    member = await world.member()
    with pytest.raises(DomainError) as refused:
        await record_order(
            world.uow, world.cache, world.clock, replace(world.order(member.id), currency="EUR")
        )

    # then it is a currency mismatch and nothing is stored
    assert refused.value.code is ErrorCode.CURRENCY_MISMATCH
    assert world.db.tables.orders == {}


async def test_a_preview_earns_what_recording_earns_and_stores_nothing(world):
    # given a program with double points on caps
    await world.configure(points_per_unit=2)
    member = await world.member()
    order = world.order(member.id, "o-1", OrderLine("cap", 3, 1999))

    # when the order is previewed, then recorded
    preview = await preview_member_order(world.uow, order)
    assert world.db.tables.orders == {}
    recorded = await record_order(world.uow, world.cache, world.clock, order)

    # then both say the same
    assert preview.points == recorded.points_delta == 119


async def test_a_partial_refund_reverses_its_share_of_the_points(world):
    # given a $50 order that earned 50 points
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # when $20 is refunded
    result = await world.refund(amount=2000)

    # then 20 points went back, at the rate they were earned
    assert (result.refund.points, result.shortfall) == (20, 0)
    assert (result.balance.available, result.balance.lifetime) == (30, 30)


async def test_a_refund_by_lines_reverses_those_lines(world):
    # given a $80 order of two lines
    member = await world.member()
    order = world.order(member.id, "o-1", OrderLine("tee", 2, 2500), OrderLine("cap", 1, 3000))
    await record_order(world.uow, world.cache, world.clock, order)

    # when the cap is refunded by line
    result = await world.refund(lines=[RefundLine("cap", 1)])

    # then its $30 and 30 points came back
    assert (result.refund.amount_minor, result.refund.points) == (3000, 30)


async def test_refunding_spent_points_claws_back_what_is_there_and_records_the_shortfall(world):
    # given a member who spent 40 of the 50 points an order earned
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    await world.adjust(member.id, -40)

    # when the whole order is refunded under the default policy
    result = await world.refund(amount=5000)

    # then the 10 left are taken, 40 are a shortfall, and nothing is owed
    assert result.shortfall == 40
    assert (result.balance.available, result.balance.debt) == (0, 0)


async def test_under_allow_negative_a_refund_of_spent_points_leaves_a_debt_paid_first(world):
    # given the ALLOW_NEGATIVE policy and a member who spent 40 of 50 earned points
    await world.configure(refund_policy=RefundPolicy.ALLOW_NEGATIVE)
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    await world.adjust(member.id, -40)

    # when the order is refunded in full
    result = await world.refund(amount=5000)

    # then 40 are owed, and the next 50 earned pay them first
    assert (result.balance.spendable, result.balance.debt) == (-40, 40)
    later = await adjust_points(
        world.uow,
        world.cache,
        world.clock,
        AdjustPoints(member.id, 50, "points", None, None, None),
    )
    assert (later.balance.available, later.balance.debt) == (10, 0)


async def test_a_refund_id_replays_the_same_refund_and_refuses_another(world):
    # given a refund of $10
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    first = await world.refund(amount=1000)

    # when the same refundId comes again with the same amount, then with another
    again = await world.refund(amount=1000)
    with pytest.raises(IdempotencyKeyReused) as refused:
        await world.refund(amount=1500)

    # then the first is replayed, the second is IDEMPOTENCY_KEY_REUSED, 10 points moved once
    assert again.replayed and again.refund == first.refund
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert (await world.balance(member.id)).available == 40


async def test_refunds_never_exceed_what_was_paid_and_freeze_the_order(world):
    # given an order refunded in part
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    await world.refund(amount=4000)

    # when more than the rest is refunded, and when the order is then changed
    with pytest.raises(DomainError) as too_much:
        await world.refund(refund_id="r-2", amount=1001)
    grown = world.order(member.id, "o-1", OrderLine("tee", 3, 2500))
    with pytest.raises(DomainError) as changed:
        await record_order(world.uow, world.cache, world.clock, grown)

    # then the refund exceeds what was paid, and the change must be a refund
    assert too_much.value.code is ErrorCode.REFUND_EXCEEDS_PAID
    assert changed.value.code is ErrorCode.ORDER_REFUNDED
