"""Early access to rewards: which early rewards a member's tier opens, read when some
reward is still early (a catalog with none reads no tiers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from domain.ports import TenantUnitOfWork
from domain.rewards import Reward
from domain.tiers import tiers_at_or_below

K = TypeVar("K")


async def open_tiers(
    uow: TenantUnitOfWork,
    held: Mapping[K, str | None],
    rewards: Iterable[Reward],
    now: datetime,
) -> dict[K, frozenset[str]]:
    """For each key of `held` (a member, by the name of the tier they hold), the tiers whose
    early access they have; empty for all when none of `rewards` is early at `now`."""
    if not any(r.early(now) for r in rewards) or uow.tiers.known_empty():
        return dict.fromkeys(held, frozenset())
    tiers = await uow.tiers.all()
    return {key: tiers_at_or_below(tiers, name) for key, name in held.items()}
