"""Changing the tiers: createTier, updateTier, configureTiers, and previewTierChange.

Every change bumps the definitions' version in the same transaction; the worker then
re-evaluates members evaluated at an older version. A preview runs the same `decide` over
every member with the proposed definitions and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID, uuid4

from domain.clock import Clock
from domain.errors import DomainError, NotFound
from domain.ports import TenantUnitOfWork, UnitOfWorkFactory
from domain.tiers import (
    NO_BENEFITS,
    Tier,
    TierBenefits,
    TierMove,
    TierSettings,
    decide,
    qualifying,
    validate_settings,
    validate_tier,
    window_start,
)

PREVIEW_BATCH = 1000


@dataclass(frozen=True, slots=True)
class TierDraft:
    name: str
    threshold: int
    multiplier: Decimal = Decimal(1)
    perks: tuple[str, ...] = ()
    benefits: TierBenefits = NO_BENEFITS


@dataclass(frozen=True, slots=True)
class Definitions:
    tiers: list[Tier]
    settings: TierSettings


async def tier_definitions(uow_factory: UnitOfWorkFactory) -> Definitions:
    async with uow_factory() as uow:
        return Definitions(await uow.tiers.all(), await uow.tiers.settings())


def _new_tier(draft: TierDraft, clock: Clock) -> Tier:
    now = clock.now()
    return Tier(
        id=uuid4(),
        name=draft.name,
        threshold=draft.threshold,
        multiplier=draft.multiplier,
        perks=draft.perks,
        benefits=draft.benefits,
        archived=False,
        created_at=now,
        updated_at=now,
    )


def _changed(tiers: list[Tier], tier_id: UUID, change: Callable[[Tier], Tier]) -> Tier:
    current = next((t for t in tiers if t.id == tier_id), None)
    if current is None:
        raise NotFound("No such tier.", field=("id",))
    return replace(change(current), id=current.id, created_at=current.created_at)


async def _bump(uow: TenantUnitOfWork) -> TierSettings:
    settings = await uow.tiers.lock_settings()
    bumped = replace(settings, version=settings.version + 1)
    await uow.tiers.save_settings(bumped)
    return bumped


async def create_tier(uow_factory: UnitOfWorkFactory, clock: Clock, draft: TierDraft) -> Tier:
    async with uow_factory() as uow:
        await _bump(uow)  # first: concurrent changes queue on the settings row
        tier = validate_tier(_new_tier(draft, clock), await uow.tiers.all())
        await uow.tiers.add(tier)
    return tier


async def update_tier(
    uow_factory: UnitOfWorkFactory, clock: Clock, tier_id: UUID, change: Callable[[Tier], Tier]
) -> Tier:
    async with uow_factory() as uow:
        await _bump(uow)
        tiers = await uow.tiers.all()
        tier = validate_tier(
            replace(_changed(tiers, tier_id, change), updated_at=clock.now()), tiers
        )
        await uow.tiers.update(tier)
    return tier


async def configure_tiers(
    uow_factory: UnitOfWorkFactory,
    change: Callable[[TierSettings], TierSettings],
    benefits: Sequence[tuple[UUID, TierBenefits]] = (),
    clock: Clock | None = None,
) -> TierSettings:
    """Changes the settings and, in the same transaction, the benefits of the tiers named
    in `benefits` (each replaced whole): all of it or nothing."""
    async with uow_factory() as uow:
        bumped = await _bump(uow)
        settings = validate_settings(replace(change(bumped), version=bumped.version))
        await uow.tiers.save_settings(settings)
        if benefits:
            assert clock is not None
            tiers = await uow.tiers.all()
            for i, (tier_id, given) in enumerate(benefits):
                current = next((t for t in tiers if t.id == tier_id), None)
                if current is None:
                    raise NotFound("No such tier.", field=("benefits", str(i), "tierId"))
                changed = replace(current, benefits=given, updated_at=clock.now())
                await uow.tiers.update(validate_tier(changed, tiers))
    return settings


@dataclass(frozen=True, slots=True)
class ProposedChange:
    """Exactly one of: a new tier, a change of a tier, a change of the settings."""

    create: TierDraft | None = None
    update: tuple[UUID, Callable[[Tier], Tier]] | None = None
    settings: Callable[[TierSettings], TierSettings] | None = None


@dataclass(frozen=True, slots=True)
class TierChangePreview:
    members: int
    up: int
    down: int
    unchanged: int
    # Keep their tier for now but no longer meet it: they move down when it comes due.
    kept_until_due: int


def _proposed(change: ProposedChange, clock: Clock, defs: Definitions) -> Definitions:
    given = [x for x in (change.create, change.update, change.settings) if x is not None]
    if len(given) != 1:
        raise DomainError("Give exactly one of create, update and settings.", field=("create",))
    tiers, settings = defs.tiers, defs.settings
    if change.create is not None:
        tiers = [*tiers, validate_tier(_new_tier(change.create, clock), tiers)]
    elif change.update is not None:
        tier_id, edit = change.update
        changed = validate_tier(_changed(tiers, tier_id, edit), tiers)
        tiers = [changed if t.id == tier_id else t for t in tiers]
    elif change.settings is not None:
        settings = validate_settings(change.settings(settings))
    return Definitions(tiers, settings)


async def preview_tier_change(
    uow_factory: UnitOfWorkFactory, clock: Clock, change: ProposedChange
) -> TierChangePreview:
    """How many members would move up or down if `change` were saved now; saves nothing."""
    now = clock.now()
    proposed = _proposed(change, clock, await tier_definitions(uow_factory))
    since = window_start(proposed.settings, now)
    counts = {TierMove.UP: 0, TierMove.DOWN: 0, TierMove.SAME: 0}
    kept = 0
    after: UUID | None = None
    while True:
        async with uow_factory() as uow:
            page = await uow.tiers.standings(proposed.settings.metric, since, after, PREVIEW_BATCH)
        for s in page:
            decision = decide(proposed.tiers, proposed.settings, s.current, s.value, now)
            counts[decision.move] += 1
            met = qualifying(proposed.tiers, s.value)
            if decision.tier is not None and (met is None or met.id != decision.tier.id):
                kept += decision.tier.threshold > (met.threshold if met else -1)
        if len(page) < PREVIEW_BATCH:
            break
        after = page[-1].member_id
    return TierChangePreview(
        members=sum(counts.values()),
        up=counts[TierMove.UP],
        down=counts[TierMove.DOWN],
        unchanged=counts[TierMove.SAME],
        kept_until_due=kept,
    )
