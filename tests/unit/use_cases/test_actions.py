"""Points for actions within the program's limits (domain/actions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actions import record_action
from domain.errors import DomainError, ErrorCode
from domain.program import ActionRule, LimitPeriod


async def _act(world, member, action="review", key=None):
    return await record_action(
        world.uow, world.cache, world.clock, member_id=member.id, action=action, idempotency_key=key
    )


async def test_an_action_earns_its_points_and_a_key_pays_once(world):
    # given a program paying 25 points per review
    await world.configure(actions=(ActionRule("review", 25),))
    member = await world.member()

    # when a review is recorded twice under one key
    first = await _act(world, member, key="rev-1")
    again = await _act(world, member, key="rev-1")

    # then it paid once, and the replay answers the first entry
    assert first.balance.available == 25
    assert again.replayed and again.entry == first.entry
    assert (await world.balance(member.id)).available == 25


async def test_an_action_the_program_does_not_have_is_refused(world):
    # when a member records an action the program has no rule for
    member = await world.member()
    with pytest.raises(DomainError) as refused:
        await _act(world, member, action="dance")

    # then it is UNKNOWN_ACTION
    assert refused.value.code is ErrorCode.UNKNOWN_ACTION


async def test_a_once_only_action_pays_once(world):
    # given a sign-up action paid once
    await world.configure(actions=(ActionRule("signup", 100, once=True),))
    member = await world.member()

    # when it is recorded twice without keys
    await _act(world, member, action="signup")
    with pytest.raises(DomainError) as refused:
        await _act(world, member, action="signup")

    # then the second is over the limit
    assert refused.value.code is ErrorCode.ACTION_LIMIT_REACHED
    assert (await world.balance(member.id)).available == 100


async def test_a_per_period_cap_resets_with_the_period(world):
    # given reviews paid twice a day
    rule = ActionRule("review", 10, max_per_period=2, period=LimitPeriod.DAY)
    await world.configure(actions=(rule,))
    member = await world.member()

    # when three reviews come in one day, then one the next day
    await _act(world, member)
    await _act(world, member)
    with pytest.raises(DomainError):
        await _act(world, member)
    world.clock.advance(timedelta(days=1))
    await _act(world, member)

    # then three were paid
    assert (await world.balance(member.id)).available == 30
    assert len(world.db.tables.action_events) == 3


async def test_a_cooldown_holds_the_next_payment_back(world):
    # given shares paid at most every 24 hours
    await world.configure(actions=(ActionRule("social_share", 5, cooldown_hours=24),))
    member = await world.member()

    # when a share comes, another 23 hours later, and another 24 hours after the first
    await _act(world, member, action="social_share")
    world.clock.advance(timedelta(hours=23))
    with pytest.raises(DomainError) as refused:
        await _act(world, member, action="social_share")
    world.clock.advance(timedelta(hours=1))
    await _act(world, member, action="social_share")

    # then the middle one was refused
    assert refused.value.code is ErrorCode.ACTION_LIMIT_REACHED
    assert (await world.balance(member.id)).available == 10
