"""Reading the catalog as a caller may see it: a page of rewards, one reward by id, and the
rewards in reach of one member."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from domain.catalog import Availability, availability
from domain.ledger import DEFAULT_WALLET
from domain.points import read_balance
from domain.ports import BalanceCache, RewardFilter, TenantUnitOfWork, UnitOfWorkFactory
from domain.rewards import Reward, RewardKind
from domain.tier_evaluation import member_tier_name
from domain.tiers import tiers_at_or_below
from domain.viewers import Viewer, may_see_reward

MAX_SEARCH = 200


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """What a caller asked of the catalog, before the viewer's rules narrow it."""

    include_archived: bool = False
    available_now: bool = False
    search: str | None = None
    kinds: tuple[RewardKind, ...] = ()


def catalog_filter(viewer: Viewer, query: CatalogQuery, now: datetime) -> RewardFilter:
    """Staff read the catalog as they asked; everyone else sees live rewards only."""
    public = not viewer.sees_unlisted_rewards
    return RewardFilter(
        include_archived=query.include_archived and not public,
        live_at=now if (query.available_now or public) else None,
        search=query.search.strip()[:MAX_SEARCH] if query.search else None,
        kinds=query.kinds,
    )


async def catalog_page(
    uow_factory: UnitOfWorkFactory,
    viewer: Viewer,
    query: CatalogQuery,
    now: datetime,
    after_seq: int | None,
    limit: int,
) -> list[Reward]:
    where = catalog_filter(viewer, query, now)
    async with uow_factory() as uow:
        if not viewer.sees_unlisted_rewards:
            # Early rewards are for the tiers they are early for: a member of one sees them.
            opened = await _viewer_tiers(uow, viewer)
            where = replace(where, early_at=now, early_tiers=tuple(sorted(opened)))
        return await uow.rewards.page(after_seq, limit, where)


async def _viewer_tiers(uow: TenantUnitOfWork, viewer: Viewer) -> frozenset[str]:
    """The tiers whose early access the viewer has: a member token's tier and those below."""
    if not viewer.is_member or viewer.member_id is None or uow.tiers.known_empty():
        return frozenset()
    held = await uow.tiers.held(viewer.member_id)
    if held is None:
        return frozenset()
    return tiers_at_or_below(await uow.tiers.all(), held.name)


async def live_rewards(uow_factory: UnitOfWorkFactory, now: datetime, limit: int) -> list[Reward]:
    """The first rewards that can be redeemed at `now`, whoever asks: not those still in
    early access for some tiers."""
    async with uow_factory() as uow:
        return await uow.rewards.page(None, limit, RewardFilter(live_at=now, early_at=now))


async def reward_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, reward_id: UUID, now: datetime
) -> Reward | None:
    """The reward, or None when there is none the viewer may see."""
    async with uow_factory() as uow:
        found = await uow.rewards.get(reward_id)
        if found is None or not may_see_reward(viewer, found, now):
            return None
        if viewer.sees_unlisted_rewards or not found.early(now):
            return found
        opened = await _viewer_tiers(uow, viewer)
    return found if found.early_allows(now, opened) else None


async def reward_by_id(uow_factory: UnitOfWorkFactory, reward_id: UUID) -> Reward | None:
    """A reward something else refers to (a redemption, a referral setting), as it is."""
    async with uow_factory() as uow:
        return await uow.rewards.get(reward_id)


async def rewards_in_reach(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    member_id: UUID,
    now: datetime,
    limit: int,
) -> list[Availability]:
    """The first `limit` live rewards the member's tier is eligible for, each with what the
    member still misses: rewards are paid from the default wallet."""
    balance = await read_balance(uow_factory, cache, member_id, DEFAULT_WALLET)
    tier = await member_tier_name(uow_factory, member_id)
    return await availability(
        uow_factory, now, member_id=member_id, spendable=balance.spendable, limit=limit, tier=tier
    )
