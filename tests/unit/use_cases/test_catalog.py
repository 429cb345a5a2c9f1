"""Managing the rewards catalog and what each member can redeem (domain/catalog.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.catalog import (
    Shopper,
    availabilities,
    availability,
    change_reward,
    import_codes,
)
from domain.errors import DomainError, ErrorCode, NotFound
from domain.reads.rewards import CatalogQuery, catalog_page
from domain.rewards import CodeSource
from domain.viewers import Audience, Viewer

_STAFF = Viewer(Audience.STAFF)  # a secret key or an operator


async def test_a_change_keeps_what_was_issued_and_is_validated(world):
    # given a reward
    reward = await world.reward(stock=5)

    # when its cost is changed, then its name is emptied
    changed = await change_reward(
        world.uow, world.clock, reward.id, lambda r: replace(r, points_cost=150, issued=3)
    )
    with pytest.raises(DomainError) as refused:
        await change_reward(world.uow, world.clock, reward.id, lambda r: replace(r, name=" "))

    # then the cost changed but not the units issued, and the empty name was refused
    assert (changed.points_cost, changed.issued, changed.seq) == (150, 0, reward.seq)
    assert refused.value.field == ("name",)
    with pytest.raises(NotFound):
        await change_reward(world.uow, world.clock, uuid4(), lambda r: r)


async def test_pool_codes_are_imported_once_and_issued_in_order(world):
    # given a reward whose codes come from a pool
    reward = await world.reward(code_source=CodeSource.POOL)
    member = await world.member(points=300)

    # when codes are imported twice over, then two are redeemed
    first = await import_codes(world.uow, reward.id, ["bbbb-2", "AAAA-1"])
    second = await import_codes(world.uow, reward.id, ["AAAA-1", "CCCC-3"])
    codes = [(await world.redeem(member.id, reward.id)).redemption.code for _ in range(2)]

    # then three distinct codes were added, and the first two by code order were issued
    assert (first, second) == (2, 1)
    assert codes == ["AAAA-1", "BBBB-2"]


async def test_a_generated_code_reward_takes_no_pool(world):
    # when codes are imported into a reward that generates its own
    reward = await world.reward()
    with pytest.raises(DomainError):
        await import_codes(world.uow, reward.id, ["AAAA-1"])

    # then none were stored
    assert world.db.tables.reward_codes == {}


async def test_the_catalog_lists_by_creation_with_filters(world):
    # given a live reward, an archived one and one that starts tomorrow
    live = await world.reward(name="Tote bag")
    await world.reward(name="Old mug", archived=True)
    await world.reward(name="Soon", starts_at=world.clock.now() + timedelta(days=1))

    # when staff list the catalog, archived included, live now, and searched
    async def listed(query: CatalogQuery, after: int | None = None) -> list:
        return await catalog_page(world.uow, _STAFF, query, world.clock.now(), after, 10)

    everything = await listed(CatalogQuery(include_archived=True))
    live_now = await listed(CatalogQuery(available_now=True))
    found = await listed(CatalogQuery(search="BAG"))

    # then each answers what it should, in creation order
    assert [r.name for r in everything] == ["Tote bag", "Old mug", "Soon"]
    assert live_now == [live] == found
    assert await listed(CatalogQuery(), live.seq) == everything[2:]


async def test_availability_says_what_each_member_can_redeem_and_what_they_miss(world):
    # given a 100-point reward with a limit of one per member, and a redeemed one
    reward = await world.reward(per_member_limit=1)
    rich, poor = await world.member(points=300), await world.member(points=30)
    await world.redeem(rich.id, reward.id)

    # when their availabilities are read, together and alone
    now = world.clock.now()
    both = await availabilities(
        world.uow, now, [Shopper(rich.id, 200), Shopper(poor.id, 30)], limit=10
    )
    alone = await availability(world.uow, now, member_id=poor.id, spendable=30, limit=10)

    # then the rich member reached the limit, the poor one misses 70 points
    assert both[rich.id][0].limit_reached and not both[rich.id][0].can_redeem
    assert both[poor.id] == alone
    assert (alone[0].points_missing, alone[0].limit_reached) == (70, False)


async def test_a_reward_for_other_tiers_is_refused(world):
    # given a reward for Gold members only
    reward = await world.reward(eligible_tiers=("Gold",))
    member = await world.member(points=300)

    # when a member without a tier redeems it
    with pytest.raises(DomainError) as refused:
        await world.redeem(member.id, reward.id)

    # then they are not eligible
    assert refused.value.code is ErrorCode.NOT_ELIGIBLE
