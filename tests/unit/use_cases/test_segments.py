"""Segments and win-back on the fakes: membership on events and by the worker's pass, a
pass resumed where it stopped, and a campaign granting each member once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.earning import OrderLine
from domain.orders import record_order
from domain.records.segments import CampaignStatus
from domain.segment_definitions import create_segment
from domain.segment_membership import refresh_all
from domain.segments import Condition, Field, Op, Segment
from domain.winback import GrantToSegment, grant_to_segment


async def held(world, member_id) -> frozenset[str]:
    async with world.uow() as uow:
        return (await uow.segments.of_members([member_id]))[member_id]


async def test_enrolment_and_orders_keep_membership_and_time_is_the_passes_work(world):
    # given a member just enrolled: new at once
    member = await world.member()
    assert await held(world, member.id) == {"new"}

    # when an order worth the VIP spend is recorded
    big = world.order(member.id, "o-big", OrderLine("tv", 1, 100_000))
    await record_order(world.uow, world.cache, world.clock, big)

    # then the member is VIP too, at once
    assert await held(world, member.id) == {"new", "vip"}

    # when 30 days pass: nothing moves until the worker's pass
    world.clock.advance(timedelta(days=30))
    assert await held(world, member.id) == {"new", "vip"}
    done = await refresh_all(world.uow, world.clock)

    # then the pass refreshed the member, and they are no longer new
    assert done == 1
    assert await held(world, member.id) == {"vip"}
    # and the next pass is not due for an hour
    assert await refresh_all(world.uow, world.clock) == 0


class StopsAfter:
    """A unit-of-work factory that fails when asked for more than `allowed`: a worker
    stopped part way through its pass."""

    def __init__(self, factory, allowed: int) -> None:
        self._factory, self._left = factory, allowed

    def __call__(self):
        if self._left == 0:
            raise RuntimeError("worker stopped")
        self._left -= 1
        return self._factory()


async def test_a_pass_stopped_between_batches_resumes_where_it_stopped(world):
    # given five members and a custom segment of those with 10 points or more, whose
    # memberships are forgotten so that only the pass can write them
    members = [await world.member(points=10) for _ in range(5)]
    rule = Condition(Field.POINTS_BALANCE, Op.GTE, 10)
    await create_segment(world.uow, world.clock, Segment("ten", "Ten", rule))
    world.db.tables.segment_members.clear()

    # when a pass in batches of two stops after its first batch
    with pytest.raises(RuntimeError):
        await refresh_all(StopsAfter(world.uow, 1), world.clock, batch=2)

    # then the first two members are done and the pass remembers where it stopped
    async with world.uow() as uow:
        assert await uow.segments.member_page("ten", None, 10) == [m.id for m in members[:2]]
        assert (await uow.segments.lock_refresh()).cursor == members[1].seq

    # when the next pass runs
    done = await refresh_all(world.uow, world.clock, batch=2)

    # then it resumed with the other three, and the segment holds all five
    assert done == 3
    async with world.uow() as uow:
        assert await uow.segments.count("ten") == 5
        assert (await uow.segments.lock_refresh()).cursor is None


async def test_a_campaign_grants_each_member_once_across_calls(world):
    # given a segment of three members
    members = [await world.member(points=10) for _ in range(3)]
    rule = Condition(Field.POINTS_BALANCE, Op.GTE, 10)
    await create_segment(world.uow, world.clock, Segment("ten", "Ten", rule))
    await refresh_all(world.uow, world.clock)  # the worker puts them in it
    cmd = GrantToSegment("ten", "c-1", 7, None, "Gift")

    # when the campaign runs one batch of two, then is sent again
    first = await grant_to_segment(world.uow, world.cache, world.clock, cmd, batch=2, batches=1)
    second = await grant_to_segment(world.uow, world.cache, world.clock, cmd, batch=2)
    third = await grant_to_segment(world.uow, world.cache, world.clock, cmd, batch=2)

    # then the first stopped part way, the second finished, the third changed nothing
    assert (first.status, first.granted) == (CampaignStatus.RUNNING, 2)
    assert (second.status, second.granted, second.total) == (CampaignStatus.DONE, 3, 3)
    assert third == second
    for member in members:
        assert (await world.balance(member.id)).available == 17
