"""Tier definitions and moving members between tiers (domain/tier_definitions.py,
domain/tier_evaluation.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.errors import Duplicate
from domain.orders import record_order
from domain.tier_definitions import (
    ProposedChange,
    TierDraft,
    configure_tiers,
    create_tier,
    preview_tier_change,
    tier_definitions,
    update_tier,
)
from domain.tier_evaluation import (
    member_standing,
    member_standings,
    member_tier_name,
    member_tier_names,
    reevaluate_changed_definitions,
    review_kept_tiers,
    tier_multiplier,
)
from domain.tiers import TierChangeReason, TierWindow


async def _ladder(world):
    """Bronze from the first day, Silver at 100 points earned, Gold at 500 (double points)."""
    made = []
    for name, threshold, multiplier in (("Bronze", 0, 1), ("Silver", 100, 1), ("Gold", 500, 2)):
        draft = TierDraft(name, threshold, Decimal(multiplier))
        made.append(await create_tier(world.uow, world.clock, draft))
    return made


async def test_each_tier_change_bumps_the_definitions_version(world):
    # when three tiers are created and the settings changed
    await _ladder(world)
    settings = await configure_tiers(world.uow, lambda s: replace(s, grace_days=7))

    # then the definitions read back, at version 4
    defs = await tier_definitions(world.uow)
    assert [t.name for t in defs.tiers] == ["Bronze", "Silver", "Gold"]
    assert settings.version == defs.settings.version == 4 and defs.settings.grace_days == 7


async def test_two_tiers_may_not_share_a_name_or_a_threshold(world):
    # given the ladder
    bronze, *_ = await _ladder(world)

    # when a tier takes another's name, or another's threshold
    with pytest.raises(Duplicate):
        await create_tier(world.uow, world.clock, TierDraft("silver", 300))
    with pytest.raises(Duplicate):
        await update_tier(world.uow, world.clock, bronze.id, lambda t: replace(t, threshold=100))

    # then the version did not move for either
    assert (await tier_definitions(world.uow)).settings.version == 3


async def test_a_member_moves_up_as_soon_as_they_earn_enough(world):
    # given the ladder and a new member, who holds Bronze from the first day
    await _ladder(world)
    member = await world.member()
    assert await member_tier_name(world.uow, member.id) == "Bronze"

    # when they earn 120 points
    await world.adjust(member.id, 120)

    # then they hold Silver, with its history
    assert await member_tier_name(world.uow, member.id) == "Silver"
    history = world.db.tables.tier_history
    assert [h.reason for h in history] == [TierChangeReason.QUALIFIED] * 2


async def test_a_gold_member_earns_at_the_gold_multiplier(world):
    # given a Gold member
    await _ladder(world)
    member = await world.member(points=500)
    async with world.uow() as uow:
        assert await tier_multiplier(uow, member.id) == Decimal(2)

    # when they place a $50 order
    result = await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # then it earns double
    assert result.points_delta == 100


async def test_a_standing_says_what_the_next_tier_takes(world):
    # given two members at 120 and 0 points
    await _ladder(world)
    silver, bronze = await world.member(points=120), await world.member()

    # when their standings and tier names are read together and alone
    both = await member_standings(world.uow, [silver.id, bronze.id], world.clock.now())
    alone = await member_standing(world.uow, silver.id, world.clock.now())
    names = await member_tier_names(world.uow, [silver.id, bronze.id])

    # then Silver needs 380 more for Gold, Bronze 100 for Silver
    assert alone == both[silver.id]
    assert (alone.current.name, alone.next.name, alone.progress.remaining) == (
        "Silver",
        "Gold",
        380,
    )
    assert both[bronze.id].progress.remaining == 100
    assert names == {silver.id: "Silver", bronze.id: "Bronze"}


async def test_changed_definitions_reevaluate_the_members_evaluated_before(world):
    # given a member at 120 points who holds Silver
    *_, gold = await _ladder(world)
    member = await world.member(points=120)

    # when Gold is lowered to 110 points and the worker re-evaluates, twice
    await update_tier(world.uow, world.clock, gold.id, lambda t: replace(t, threshold=110))
    moved = await reevaluate_changed_definitions(world.uow, world.cache, world.clock)
    again = await reevaluate_changed_definitions(world.uow, world.cache, world.clock)

    # then the member moved up once, and the definitions are settled
    assert (moved, again) == (1, 0)
    assert await member_tier_name(world.uow, member.id) == "Gold"
    # and live watchers of the member were told, once
    assert world.cache.announced == [member.id]


async def test_a_kept_tier_comes_due_and_the_member_moves_down(world):
    # given calendar-year tiers and a member who met Silver and then earned nothing more
    await _ladder(world)
    await configure_tiers(world.uow, lambda s: replace(s, window=TierWindow.CALENDAR_YEAR))
    member = await world.member(points=120)
    await reevaluate_changed_definitions(world.uow, world.cache, world.clock)

    # when the year after next begins and the review runs
    world.clock.advance(timedelta(days=2 * 366))
    world.cache.announced.clear()
    moved = await review_kept_tiers(world.uow, world.cache, world.clock)

    # then they moved down to Bronze, because the period ended, and watchers were told
    assert moved == 1
    assert await member_tier_name(world.uow, member.id) == "Bronze"
    assert world.db.tables.tier_history[-1].reason is TierChangeReason.PERIOD_ENDED
    assert world.cache.announced == [member.id]


async def test_a_preview_counts_who_would_move_and_saves_nothing(world):
    # given members at 0, 120 and 600 points
    await _ladder(world)
    for points in (0, 120, 600):
        await world.member(points=points)
    version = (await tier_definitions(world.uow)).settings.version

    # when a Platinum tier at 550 is previewed
    preview = await preview_tier_change(
        world.uow, world.clock, ProposedChange(create=TierDraft("Platinum", 550))
    )

    # then one member would move up, and nothing changed
    assert (preview.members, preview.up, preview.down, preview.unchanged) == (3, 1, 0, 2)
    assert (await tier_definitions(world.uow)).settings.version == version
