"""Redeeming rewards, and what happens to a code after (domain/redemption.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused, InsufficientPoints
from domain.program import LimitPeriod
from domain.redemption import (
    cancel_redemption,
    expire_unused,
    mark_used,
    validate_code,
)
from domain.rewards import RedemptionStatus


async def test_a_redemption_spends_the_points_takes_stock_and_issues_a_code(world):
    # given a member with 150 points and a 100-point reward with 2 in stock
    member = await world.member(points=150)
    reward = await world.reward(stock=2)

    # when the member redeems it
    done = await world.redeem(member.id, reward.id)

    # then 100 points are spent, one unit taken, and a code issued
    assert done.balance.available == 50
    assert done.redemption.status is RedemptionStatus.ISSUED
    assert world.db.tables.rewards[reward.id].issued == 1
    assert await world.cache.get(member.id, "points") == done.balance


async def test_a_member_without_the_points_gets_nothing(world):
    # given a member with 99 points
    member = await world.member(points=99)
    reward = await world.reward(stock=1)

    # when they redeem a 100-point reward
    with pytest.raises(InsufficientPoints):
        await world.redeem(member.id, reward.id)

    # then neither points, stock nor codes moved
    assert (await world.balance(member.id)).available == 99
    assert world.db.tables.rewards[reward.id].issued == 0
    assert world.db.tables.redemptions == {}


async def test_the_last_unit_goes_to_one_member_and_the_next_is_refused_whole(world):
    # given a reward with one unit and two members who can afford it
    ann, bob = await world.member(points=100), await world.member(points=100)
    reward = await world.reward(stock=1)

    # when both redeem
    await world.redeem(ann.id, reward.id)
    with pytest.raises(DomainError) as refused:
        await world.redeem(bob.id, reward.id)

    # then Bob is refused for stock and keeps his points
    assert refused.value.code is ErrorCode.OUT_OF_STOCK
    assert (await world.balance(bob.id)).available == 100


async def test_a_per_member_limit_counts_what_was_not_cancelled(world):
    # given a reward a member may redeem once a month
    member = await world.member(points=300)
    reward = await world.reward(per_member_limit=1, per_member_period=LimitPeriod.MONTH)

    # when they redeem it, try again, then cancel and redeem again
    first = await world.redeem(member.id, reward.id)
    with pytest.raises(DomainError) as refused:
        await world.redeem(member.id, reward.id)
    await cancel_redemption(world.uow, world.cache, world.clock, code=first.redemption.code)
    again = await world.redeem(member.id, reward.id)

    # then the second was over the limit, the cancelled one did not count
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert again.balance.available == 200


async def test_a_key_replays_a_redemption_and_refuses_other_input(world):
    # given a redemption under a key
    member = await world.member(points=500)
    reward, other = await world.reward(), await world.reward(name="Other")
    first = await world.redeem(member.id, reward.id, key="r1")

    # when it is sent again, then the key is used for another reward
    again = await world.redeem(member.id, reward.id, key="r1")
    with pytest.raises(IdempotencyKeyReused):
        await world.redeem(member.id, other.id, key="r1")

    # then one code was issued, and the replay is that code
    assert again.replayed and again.redemption == first.redemption
    assert len(world.db.tables.redemptions) == 1
    assert (await world.balance(member.id)).available == 400


async def test_cancelling_an_unused_code_gives_back_points_and_stock_once(world):
    # given an issued code
    member = await world.member(points=100)
    reward = await world.reward(stock=1)
    code = (await world.redeem(member.id, reward.id)).redemption.code

    # when it is cancelled twice
    cancelled = await cancel_redemption(world.uow, world.cache, world.clock, code=code)
    with pytest.raises(DomainError) as again:
        await cancel_redemption(world.uow, world.cache, world.clock, code=code)

    # then the points and the unit came back once
    assert cancelled.redemption.status is RedemptionStatus.CANCELLED
    assert cancelled.balance.available == 100
    assert again.value.code is ErrorCode.REDEMPTION_CLOSED
    assert world.db.tables.rewards[reward.id].issued == 0


async def test_a_used_code_is_checked_used_once_and_cannot_be_cancelled(world):
    # given an issued code worth $5
    member = await world.member(points=100)
    code = (await world.redeem(member.id, (await world.reward()).id)).redemption.code

    # when the checkout checks it, uses it, retries the use, and checks it again
    check = await validate_code(
        world.uow, world.clock, code=code, subtotal_minor=3000, member_id=None
    )
    used = await mark_used(world.uow, world.cache, world.clock, code=code, order_id="o-7")
    retried = await mark_used(world.uow, world.cache, world.clock, code=code, order_id="o-7")
    after = await validate_code(
        world.uow, world.clock, code=code, subtotal_minor=3000, member_id=None
    )

    # then it took $5 off once, and is closed for good
    assert check.valid and check.discount.amount_minor == 500
    assert used.status is RedemptionStatus.USED and retried == used
    assert not after.valid
    # and the member's live watchers were told once, by the first use
    assert world.cache.announced == [member.id]
    with pytest.raises(DomainError):
        await cancel_redemption(world.uow, world.cache, world.clock, code=code)


async def test_unused_codes_expire_and_return_points_where_the_reward_says(world):
    # given two 7-day codes, of a reward that refunds on expiry and of one that does not
    member = await world.member(points=200)
    refunding = await world.reward(valid_days=7)
    keeping = await world.reward(name="Kept", valid_days=7, refund_on_expiry=False)
    await world.redeem(member.id, refunding.id)
    await world.redeem(member.id, keeping.id)

    # when eight days pass and the job runs
    world.clock.advance(timedelta(days=8))
    expired = await expire_unused(world.uow, world.cache, world.clock)

    # then both are expired, and only the first gave its points back
    assert expired == 2
    statuses = {r.status for r in world.db.tables.redemptions.values()}
    assert statuses == {RedemptionStatus.EXPIRED}
    assert (await world.balance(member.id)).available == 100
