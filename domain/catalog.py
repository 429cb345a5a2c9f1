"""Managing the rewards catalog."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4

from domain.clock import Clock
from domain.codes import typed_code
from domain.early_access import open_tiers
from domain.errors import DomainError, NotFound
from domain.periods import counted_since
from domain.ports import RewardFilter, UnitOfWorkFactory
from domain.rewards import CODE_ALPHABET, CodeSource, Reward, RewardKind, validate_reward

_POOL_CODE = re.compile(r"^[A-Z0-9-]{4,64}$")
MAX_IMPORT = 10_000


def draft_reward(fields: dict[str, object], clock: Clock) -> Reward:
    """A reward with every field not given at its default."""
    now = clock.now()
    base: dict[str, object] = {
        "id": uuid4(),
        "seq": 0,
        "description": "",
        "image_url": None,
        "value_minor": None,
        "percentage": None,
        "max_discount_minor": None,
        "sku": None,
        "points_cost": None,
        "min_points": None,
        "max_points": None,
        "step_points": None,
        "value_per_step_minor": None,
        "min_order_minor": 0,
        "valid_days": None,
        "starts_at": None,
        "ends_at": None,
        "stock": None,
        "issued": 0,
        "per_member_limit": None,
        "per_member_period": None,
        "eligible_tiers": (),
        "eligible_segments": (),
        "code_source": CodeSource.GENERATED,
        "code_prefix": "",
        "code_length": 10,
        "code_alphabet": CODE_ALPHABET,
        "refund_on_expiry": True,
        "archived": False,
        "created_at": now,
        "updated_at": now,
        "kind": RewardKind.CUSTOM,
        "name": "",
    }
    base.update(fields)
    return Reward(**base)  # type: ignore[arg-type]


async def create_reward(uow_factory: UnitOfWorkFactory, reward: Reward) -> Reward:
    validate_reward(reward)
    async with uow_factory() as uow:
        return await uow.rewards.add(reward)


async def change_reward(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    reward_id: UUID,
    change: Callable[[Reward], Reward],
) -> Reward:
    async with uow_factory() as uow:
        current = await uow.rewards.lock(reward_id)
        if current is None:
            raise NotFound("No such reward.", field=("id",))
        changed = validate_reward(replace(change(current), id=current.id, updated_at=clock.now()))
        return await uow.rewards.update(changed)


async def import_codes(uow_factory: UnitOfWorkFactory, reward_id: UUID, codes: list[str]) -> int:
    cleaned = [typed_code(c) for c in codes]
    if not cleaned or len(cleaned) > MAX_IMPORT:
        raise DomainError(f"Import 1 to {MAX_IMPORT} codes at a time.", field=("codes",))
    for i, code in enumerate(cleaned):
        if not _POOL_CODE.match(code):
            raise DomainError("Codes are 4 to 64 letters, digits and '-'.", field=("codes", str(i)))
    async with uow_factory() as uow:
        reward = await uow.rewards.lock(reward_id)
        if reward is None:
            raise NotFound("No such reward.", field=("rewardId",))
        if reward.code_source is not CodeSource.POOL:
            raise DomainError("This reward generates its codes.", field=("rewardId",))
        return await uow.rewards.import_codes(reward_id, sorted(set(cleaned)))


@dataclass(frozen=True, slots=True)
class Availability:
    """One live reward as one member sees it."""

    reward: Reward
    points_missing: int
    limit_reached: bool

    @property
    def can_redeem(self) -> bool:
        return self.points_missing == 0 and not self.limit_reached


@dataclass(frozen=True, slots=True)
class Shopper:
    """A member as the catalog sees them: the points they can spend and the tier they hold
    (the name rewards' eligibleTiers refer to)."""

    member_id: UUID
    spendable: int
    tier: str | None = None


async def availability(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    *,
    member_id: UUID,
    spendable: int,
    limit: int,
    tier: str | None = None,
) -> list[Availability]:
    """Live rewards the member is eligible for (by tier and by segment): what they can
    redeem now, what the rest miss."""
    found = await availabilities(uow_factory, now, [Shopper(member_id, spendable, tier)], limit)
    return found[member_id]


async def availabilities(
    uow_factory: UnitOfWorkFactory, now: datetime, shoppers: Sequence[Shopper], limit: int
) -> dict[UUID, list[Availability]]:
    """`availability` of many members in one unit of work: the first `limit` live rewards
    read once, and what every member redeemed of those with a per-member limit counted in
    one statement."""
    if not shoppers:
        return {}
    async with uow_factory() as uow:
        live = await uow.rewards.page(None, limit, RewardFilter(live_at=now))
        # Segments are read only when some live reward is kept for segments.
        held = (
            await uow.segments.of_members([s.member_id for s in shoppers])
            if any(r.eligible_segments for r in live)
            else {}
        )
        opened = await open_tiers(uow, {s.member_id: s.tier for s in shoppers}, live, now)
        eligible = {
            s.member_id: [
                r
                for r in live
                if r.eligible(s.tier, held.get(s.member_id, frozenset()))
                and r.early_allows(now, opened[s.member_id])
            ]
            for s in shoppers
        }
        offered = {r.id: r for rewards in eligible.values() for r in rewards}
        limited = {
            r.id: counted_since(r.per_member_period, now)
            for r in offered.values()
            if r.per_member_limit is not None
        }
        done = await uow.redemptions.counts_for_members(list(eligible), limited)
    return {s.member_id: [_as_seen_by(s, r, done) for r in eligible[s.member_id]] for s in shoppers}


def _as_seen_by(
    shopper: Shopper, reward: Reward, done: dict[tuple[UUID, UUID], int]
) -> Availability:
    """`done`: the redemptions that count against per-member limits, by (member, reward)."""
    limit = reward.per_member_limit
    return Availability(
        reward=reward,
        points_missing=max(reward.cheapest - shopper.spendable, 0),
        limit_reached=limit is not None and done.get((shopper.member_id, reward.id), 0) >= limit,
    )
