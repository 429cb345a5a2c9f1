"""previewOrder's rule: an order earns under the current program, times its member's tier
multiplier; on the in-memory fakes of tests/unit/fakes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.earning import OrderLine
from domain.errors import DomainError
from domain.order_preview import preview_member_order
from domain.program import DEFAULT_PROGRAM
from domain.tier_definitions import TierDraft, create_tier


async def _gold_and_plain(world):
    """Gold (x1.5) from 1000 points earned; a member who holds it and one who holds none."""
    await create_tier(world.uow, world.clock, TierDraft("Gold", 1000, Decimal("1.5")))
    return await world.member(points=1000), await world.member()


def _order(world, member_id, price=10_000):
    return world.order(member_id, " o-1 ", OrderLine("sku-1", 1, price))


@pytest.mark.parametrize(
    ("who", "points"),
    [("gold", 150), ("plain", 100), ("guest", 100)],
)
async def test_an_order_earns_the_members_tier_multiplier(world, who, points):
    # given a point per unit of currency, one member holding Gold (x1.5) and one no tier
    gold, plain = await _gold_and_plain(world)
    member_id = {"gold": gold.id, "plain": plain.id, "guest": None}[who]

    # when a 100.00 order is previewed
    earning = await preview_member_order(world.uow, _order(world, member_id))

    # then only the Gold member's points are multiplied
    assert earning.points == points
    assert earning.config_version == DEFAULT_PROGRAM.version


async def test_a_preview_earns_under_the_current_program(world):
    # given a program that gives 3 points per unit
    program = await world.configure(points_per_unit=Decimal(3))

    # when a 10.00 order is previewed
    earning = await preview_member_order(world.uow, _order(world, None, price=1_000))

    # then it earns 30, under that version
    assert earning.points == 30
    assert earning.config_version == program.version


async def test_an_order_in_another_currency_is_refused(world):
    # given a program earning on USD, and a member
    member = await world.member()

    # when an order in EUR is previewed
    with pytest.raises(DomainError) as refused:
        await preview_member_order(world.uow, replace(_order(world, member.id), currency="EUR"))

    # then it is refused on currency
    assert refused.value.field == ("currency",)
