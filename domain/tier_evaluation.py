"""Applying the tier rules to members: after every change of their metric, and on the
worker's schedule (kept tiers coming due, definitions that changed).

`evaluate_member_tier` runs inside the caller's transaction, under the member's tier row
lock, so two changes of one member's metric at once evaluate one after the other and each
sees the other's committed rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.clock import Clock
from domain.events import tier_changed
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.segment_membership import refresh_member
from domain.tiers import (
    Decision,
    MemberTier,
    Progress,
    Retention,
    Tier,
    TierMove,
    TierSettings,
    decide,
    decide_with_memberships,
    held_tier,
    next_tier,
    progress,
    qualifying,
    retention,
    window_start,
)


async def evaluate_member_tier(
    uow: TenantUnitOfWork, member_id: UUID, now: datetime
) -> Decision | None:
    """Moves the member to the tier their metric earns now: up at once, down only when
    their kept tier has come due. None when the program has no tiers."""
    if uow.tiers.known_empty():
        return None
    tiers = await uow.tiers.all()
    if not tiers:
        return None
    settings = await uow.tiers.settings()
    current = await uow.tiers.lock_member_tier(member_id, now)
    value = await uow.tiers.metric_value(member_id, settings.metric, window_start(settings, now))
    # Memberships are read only where the program sells them or the member held one.
    if current.paid or (await uow.programs.current()).memberships:
        memberships = await uow.tiers.memberships_of(member_id)
        decision = decide_with_memberships(tiers, settings, current, value, now, memberships)
    else:
        decision = decide(tiers, settings, current, value, now)
    tier_id = decision.tier.id if decision.tier is not None else None
    moved = decision.move is not TierMove.SAME
    await uow.tiers.save_member_tier(
        MemberTier(
            member_id,
            tier_id,
            now if moved else current.since,
            decision.retain_until,
            settings.version,
            paid=decision.paid,
        ),
        now,
    )
    if moved and decision.reason is not None:
        await uow.tiers.add_history(member_id, current.tier_id, tier_id, decision.reason, now)
        previous = next((t for t in tiers if t.id == current.tier_id), None)
        uow.events.add(tier_changed(member_id, previous, decision.tier, decision.reason, now))
    return decision


async def tier_multiplier(uow: TenantUnitOfWork, member_id: UUID | None) -> Decimal:
    """The earn multiplier of the member's tier (1 without one)."""
    if member_id is None or uow.tiers.known_empty():
        return Decimal(1)
    held = await uow.tiers.held(member_id)
    return held.multiplier if held is not None else Decimal(1)


async def member_tier_name(uow_factory: UnitOfWorkFactory, member_id: UUID) -> str | None:
    """The name rewards' eligibleTiers refer to."""
    return (await member_tier_names(uow_factory, [member_id]))[member_id]


async def member_tier_names(
    uow_factory: UnitOfWorkFactory, member_ids: Sequence[UUID]
) -> dict[UUID, str | None]:
    """`member_tier_name` of many members, in one statement: the tier each holds (None for
    one never evaluated, unlike `member_standing`, which shows what their metric earns)."""
    wanted = list(dict.fromkeys(member_ids))
    async with uow_factory() as uow:
        if uow.tiers.known_empty():
            return dict.fromkeys(wanted)
        held = await uow.tiers.held_by(wanted)
    return {m: held[m].name if m in held else None for m in wanted}


@dataclass(frozen=True, slots=True)
class Standing:
    current: Tier | None
    since: datetime | None
    next: Tier | None
    progress: Progress | None
    retention: Retention | None
    settings: TierSettings
    # Held by a paid membership until then (and not kept by the metric).
    paid_until: datetime | None = None


async def member_standing(
    uow_factory: UnitOfWorkFactory, member_id: UUID, now: datetime
) -> Standing | None:
    """The member's tier, what the next one takes and what keeping this one takes.

    A member never evaluated yet (enrolled before the tiers, before the worker's pass) is
    shown the tier their metric earns."""
    async with uow_factory() as uow:
        if uow.tiers.known_empty():
            return None
        tiers = await uow.tiers.all()
        if not tiers:
            return None
        settings = await uow.tiers.settings()
        stored = await uow.tiers.member_tier(member_id)
        value = await uow.tiers.metric_value(
            member_id, settings.metric, window_start(settings, now)
        )
    return _standing(tiers, settings, stored, value)


async def member_standings(
    uow_factory: UnitOfWorkFactory, member_ids: Sequence[UUID], now: datetime
) -> dict[UUID, Standing | None]:
    """`member_standing` of many members, in one unit of work: the tiers and settings once,
    the members' stored tiers and metrics in one statement."""
    wanted = list(dict.fromkeys(member_ids))
    async with uow_factory() as uow:
        if uow.tiers.known_empty():
            return dict.fromkeys(wanted)
        tiers = await uow.tiers.all()
        if not tiers:
            return dict.fromkeys(wanted)
        settings = await uow.tiers.settings()
        found = await uow.tiers.standings_of(wanted, settings.metric, window_start(settings, now))
    return {s.member_id: _standing(tiers, settings, s.current, s.value) for s in found}


def _standing(
    tiers: list[Tier], settings: TierSettings, stored: MemberTier | None, value: int
) -> Standing:
    """A member's standing from their stored tier (None: never evaluated) and metric."""
    if stored is None:
        held, since = qualifying(tiers, value), None
    else:
        held = held_tier(tiers, stored)
        since = stored.since if held is not None else None
    paid = stored is not None and stored.paid and held is not None
    return Standing(
        current=held,
        since=since,
        next=next_tier(tiers, held),
        progress=progress(tiers, settings, held, value),
        retention=None if paid else retention(settings, held, stored, value),
        settings=settings,
        paid_until=stored.retain_until if paid and stored is not None else None,
    )


# --- the worker's part -------------------------------------------------------------------


async def _evaluate_each(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, member_ids: list[UUID]
) -> int:
    moved = 0
    for member_id in member_ids:
        async with uow_factory() as uow:
            now = clock.now()
            decision = await evaluate_member_tier(uow, member_id, now)
            if decision is not None and decision.move is not TierMove.SAME:
                await refresh_member(uow, member_id, now)  # vip and TIER rules follow
        if decision is not None and decision.move is not TierMove.SAME:
            moved += 1
            # Committed, and no balance stored to say so: live watchers are told apart.
            await cache.announce(member_id)
    return moved


async def reevaluate_changed_definitions(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 500
) -> int:
    """Re-evaluates, in batches, members evaluated before the tier definitions last changed.
    Returns how many moved; each one moved is announced to its live watchers."""
    moved = 0
    while True:
        async with uow_factory() as uow:
            version = await uow.tiers.unsettled_version()
            if version is None:
                return moved
            stale = await uow.tiers.stale_members(version, batch)
            if not stale or not await uow.tiers.all():
                await uow.tiers.mark_settled(version)
                return moved
        moved += await _evaluate_each(uow_factory, cache, clock, stale)


async def review_kept_tiers(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 500
) -> int:
    """Members whose kept tier has come due: renewed if they meet it again, else moved down.
    Returns how many moved; each one moved is announced to its live watchers."""
    moved = 0
    while True:
        async with uow_factory() as uow:
            due = await uow.tiers.due_for_review(clock.now(), batch)
        moved += await _evaluate_each(uow_factory, cache, clock, due)
        if len(due) < batch:
            return moved
