"""Reading the program's public data: the tiers members can hold, and the program
explained."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.ports import RewardFilter, UnitOfWorkFactory
from domain.program import ProgramConfig
from domain.program_explained import ExplainedItem, explain_earning, explain_redeeming
from domain.tier_definitions import tier_definitions
from domain.tiers import Tier


async def program_tiers(uow_factory: UnitOfWorkFactory, *, include_archived: bool) -> list[Tier]:
    """Lowest first; an archived tier, held by no one, only when asked for."""
    found = (await tier_definitions(uow_factory)).tiers
    return [x for x in found if include_archived or not x.archived]


async def earning_explained(uow_factory: UnitOfWorkFactory, now: datetime) -> list[ExplainedItem]:
    """How to earn, as a "how it works" page tells it, from one read of the configuration
    and the tiers."""
    async with uow_factory() as uow:
        config = await uow.programs.current()
        tiers = await uow.tiers.all()
        settings = await uow.tiers.settings()
        gifts = {}
        for reward_id in _gift_ids(config):
            found = await uow.rewards.get(reward_id)
            if found is not None:
                gifts[reward_id] = found
    return explain_earning(config, tiers, settings, now, gifts)


def _gift_ids(config: ProgramConfig) -> list[UUID]:
    """The rewards the welcome offer and the birthday gift name (a few at most)."""
    ids = [config.welcome.reward_id] if config.welcome and config.welcome.reward_id else []
    if config.birthday_gift is not None:
        ids += config.birthday_gift.reward_ids
    return list(dict.fromkeys(ids))


async def redeeming_explained(
    uow_factory: UnitOfWorkFactory, now: datetime, rewards_shown: int
) -> list[ExplainedItem]:
    """How to redeem: the first `rewards_shown` rewards live now."""
    async with uow_factory() as uow:
        config = await uow.programs.current()
        rewards = await uow.rewards.page(None, rewards_shown, RewardFilter(live_at=now))
    return explain_redeeming(config, rewards, now)
