"""Changing the program (domain/configuration.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.configuration import configure_program, current_program
from domain.earning import OrderLine
from domain.errors import DomainError
from domain.orders import record_order


async def test_each_change_is_a_new_version_and_earlier_ones_stay_readable(world):
    # given the default program
    assert (await current_program(world.uow)).version == 0

    # when points per dollar go to 3, then to 5
    await world.configure(points_per_unit=Decimal(3))
    latest = await world.configure(points_per_unit=Decimal(5))

    # then the latest is in force, and the first change is still there
    assert await current_program(world.uow) == latest
    async with world.uow() as uow:
        assert (await uow.programs.version(1)).points_per_unit == Decimal(3)


async def test_an_order_changed_later_keeps_the_version_it_first_earned_under(world):
    # given an order earned at 1 point per dollar
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # when the program moves to 10 per dollar and the order grows by $10
    await world.configure(points_per_unit=Decimal(10))
    grown = world.order(member.id, "o-1", OrderLine("tee", 2, 2500), OrderLine("sock", 1, 1000))
    result = await record_order(world.uow, world.cache, world.clock, grown)

    # then the difference is priced at the order's first version
    assert result.points_delta == 10


async def test_an_invalid_program_is_refused_and_nothing_saved(world):
    # when a program is given a negative return window
    with pytest.raises(DomainError) as refused:
        await configure_program(world.uow, world.clock, lambda c: replace(c, pending_days=-1), None)

    # then it is refused on that field, and no version was stored
    assert refused.value.field == ("pendingDays",)
    assert world.db.tables.program_config == {}
