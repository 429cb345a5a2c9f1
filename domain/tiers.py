"""VIP tiers: which tier a member holds, what the next one takes, and when one is lost.

Pure rules over (tier definitions, settings, the member's tier, the member's metric, now):
the event path (an order, an earn), the worker and previewTierChange all decide with
`decide`, so a preview never disagrees with what the worker then does.

- A member holds the highest tier whose threshold their metric meets, over the window.
- Upgrades happen as soon as the threshold is met.
- A tier, once met, is kept until the end of the following period: the end of the next
  calendar year, or N months after the member last met it on a rolling window; then for
  the grace days. Only then, if the member does not meet it any more, they move down.
  Lifetime windows and the NEVER policy never move anyone down.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.decimals import bounded_decimal
from domain.errors import DomainError, Duplicate, ErrorCode

MAX_TIERS = 50
MAX_PERKS = 20
MAX_THRESHOLD = 2**53
MAX_MULTIPLIER = Decimal(100)
MAX_ROLLING_MONTHS = 120
MAX_GRACE_DAYS = 3650
_CENTS = Decimal("0.01")


class TierMetric(StrEnum):
    POINTS_EARNED = "POINTS_EARNED"
    AMOUNT_SPENT = "AMOUNT_SPENT"
    ORDER_COUNT = "ORDER_COUNT"


class TierWindow(StrEnum):
    LIFETIME = "LIFETIME"
    CALENDAR_YEAR = "CALENDAR_YEAR"
    ROLLING_MONTHS = "ROLLING_MONTHS"


class TierDowngrade(StrEnum):
    AT_PERIOD_END = "AT_PERIOD_END"
    NEVER = "NEVER"


class TierMove(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    SAME = "SAME"


class TierChangeReason(StrEnum):
    QUALIFIED = "QUALIFIED"
    PERIOD_ENDED = "PERIOD_ENDED"
    TIER_REMOVED = "TIER_REMOVED"
    PURCHASED = "PURCHASED"  # a paid membership
    MEMBERSHIP_ENDED = "MEMBERSHIP_ENDED"  # its period ended, or it was refunded


@dataclass(frozen=True, slots=True)
class TierSettings:
    metric: TierMetric = TierMetric.POINTS_EARNED
    window: TierWindow = TierWindow.LIFETIME
    rolling_months: int | None = None
    downgrade: TierDowngrade = TierDowngrade.AT_PERIOD_END
    grace_days: int = 0
    # Bumped by every change of tiers or settings; members evaluated at an older version
    # are re-evaluated by the worker.
    version: int = 0


@dataclass(frozen=True, slots=True)
class TierBenefits:
    """What a tier gives at checkout, for the storefront to apply: a standing discount on
    every order (percent, 0 < p <= 100, two decimals; None: none) and free shipping."""

    discount_percent: Decimal | None = None
    free_shipping: bool = False


NO_BENEFITS = TierBenefits()


@dataclass(frozen=True, slots=True)
class Tier:
    id: UUID
    name: str
    threshold: int
    multiplier: Decimal
    perks: tuple[str, ...]
    archived: bool
    created_at: datetime
    updated_at: datetime
    benefits: TierBenefits = NO_BENEFITS


@dataclass(frozen=True, slots=True)
class MemberTier:
    """What is stored for a member: the tier held (None: none), since when, kept until."""

    member_id: UUID
    tier_id: UUID | None
    since: datetime
    retain_until: datetime | None
    evaluated_version: int
    # Held by a paid membership (until retain_until), not earned by the metric.
    paid: bool = False


@dataclass(frozen=True, slots=True)
class PaidMembership:
    """A tier bought by an order line, from `starts_at` until `ends_at`."""

    id: UUID
    member_id: UUID
    tier_id: UUID
    order_id: str
    sku: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Decision:
    tier: Tier | None
    retain_until: datetime | None
    move: TierMove
    reason: TierChangeReason | None
    previous: Tier | None
    paid: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    metric: TierMetric
    value: int
    threshold: int
    remaining: int


@dataclass(frozen=True, slots=True)
class Retention:
    """Meet `threshold` on the current window before `by`, or move down then."""

    by: datetime
    metric: TierMetric
    value: int
    threshold: int
    remaining: int


def add_months(at: datetime, months: int) -> datetime:
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def window_start(settings: TierSettings, now: datetime) -> datetime | None:
    """Start of the window the metric is measured over (None: since enrolment).

    The window includes its start. A rolling one starts just after the instant N months
    ago (timestamps are to the microsecond), so a point earned exactly N months ago has just
    left it: otherwise a tier kept N months would be renewed by the very points that earned it.
    """
    if settings.window is TierWindow.LIFETIME:
        return None
    if settings.window is TierWindow.CALENDAR_YEAR:
        return datetime(now.astimezone(UTC).year, 1, 1, tzinfo=UTC)
    return add_months(now, -(settings.rolling_months or 12)) + timedelta(microseconds=1)


def keeps_tiers_forever(settings: TierSettings) -> bool:
    return settings.downgrade is TierDowngrade.NEVER or settings.window is TierWindow.LIFETIME


def kept_until(settings: TierSettings, met_at: datetime) -> datetime | None:
    """How long a tier met at `met_at` is kept: the following period, then the grace."""
    if keeps_tiers_forever(settings):
        return None
    if settings.window is TierWindow.CALENDAR_YEAR:
        end = datetime(met_at.astimezone(UTC).year + 2, 1, 1, tzinfo=UTC)
    else:
        end = add_months(met_at, settings.rolling_months or 12)
    return end + timedelta(days=settings.grace_days)


def ladder(tiers: list[Tier]) -> list[Tier]:
    """Tiers members can hold, lowest first."""
    return sorted((t for t in tiers if not t.archived), key=lambda t: t.threshold)


def qualifying(tiers: list[Tier], value: int) -> Tier | None:
    met = [t for t in ladder(tiers) if t.threshold <= value]
    return met[-1] if met else None


def tiers_at_or_below(tiers: list[Tier], held: str | None) -> frozenset[str]:
    """The casefolded names of the tier named `held` and of the tiers below it: the early
    access a member of `held` has (a reward early for Silver is early for Gold too)."""
    if held is None:
        return frozenset()
    live = ladder(tiers)
    top = next((t for t in live if t.name.casefold() == held.casefold()), None)
    if top is None:
        return frozenset()
    return frozenset(t.name.casefold() for t in live if t.threshold <= top.threshold)


def next_tier(tiers: list[Tier], held: Tier | None) -> Tier | None:
    floor = held.threshold if held is not None else -1
    above = [t for t in ladder(tiers) if t.threshold > floor]
    return above[0] if above else None


def recorded_tier(tiers: list[Tier], current: MemberTier | None) -> Tier | None:
    """The tier the member's stored row names, even one archived since (None: none)."""
    if current is None or current.tier_id is None:
        return None
    return next((t for t in tiers if t.id == current.tier_id), None)


def held_tier(tiers: list[Tier], current: MemberTier | None) -> Tier | None:
    """The tier the member holds: the one stored, unless it was archived since."""
    tier = recorded_tier(tiers, current)
    return tier if tier is not None and not tier.archived else None


def _rank(tier: Tier | None) -> int:
    return tier.threshold if tier is not None else -1


def decide(
    tiers: list[Tier],
    settings: TierSettings,
    current: MemberTier | None,
    value: int,
    now: datetime,
) -> Decision:
    """The tier a member should hold now, and until when it is kept.

    `tiers` includes archived ones, so a member whose tier was archived is moved off it.
    """
    previous = recorded_tier(tiers, current)
    held = held_tier(tiers, current)
    met = qualifying(tiers, value)

    def renewed(tier: Tier | None) -> datetime | None:
        # A tier with no threshold cannot be lost: nothing to keep it until.
        return None if tier is None or tier.threshold == 0 else kept_until(settings, now)

    if held is None or _rank(met) >= _rank(held):
        tier = met
        retain = renewed(met)
        reason = TierChangeReason.QUALIFIED
        if previous is not None and previous.archived:
            reason = TierChangeReason.TIER_REMOVED
    elif keeps_tiers_forever(settings):
        tier, retain, reason = held, None, TierChangeReason.QUALIFIED
    elif current is not None and current.retain_until is None:
        # Kept forever until the settings changed: the period starts now.
        tier, retain, reason = held, renewed(held), TierChangeReason.QUALIFIED
    elif current is not None and current.retain_until is not None and now < current.retain_until:
        tier, retain, reason = held, current.retain_until, TierChangeReason.QUALIFIED
    else:
        tier, retain, reason = met, renewed(met), TierChangeReason.PERIOD_ENDED
    was = previous.id if previous is not None else None
    now_id = tier.id if tier is not None else None
    if was == now_id:
        move = TierMove.SAME
    elif _rank(tier) > _rank(previous):
        move = TierMove.UP
    else:
        move = TierMove.DOWN
    return Decision(tier, retain, move, None if move is TierMove.SAME else reason, previous)


def decide_with_memberships(
    tiers: list[Tier],
    settings: TierSettings,
    current: MemberTier,
    value: int,
    now: datetime,
    memberships: list[PaidMembership],
) -> Decision:
    """`decide`, with paid memberships as a floor: the member holds the higher of what their
    metric earns and the best tier a membership active at `now` gives (until it ends). A tier
    held only by a membership is not kept after it, as an earned one is: when the membership
    ends or is refunded, the member holds what their metric earns then."""
    basis = replace(current, tier_id=None, retain_until=None) if current.paid else current
    earned = decide(tiers, settings, basis, value, now)
    live = {t.id: t for t in tiers if not t.archived}
    bought = max(
        ((live[m.tier_id], m.ends_at) for m in memberships if m.active(now) and m.tier_id in live),
        key=lambda found: (found[0].threshold, found[1]),
        default=None,
    )
    previous = recorded_tier(tiers, current)
    tier: Tier | None
    retain: datetime | None
    if bought is not None and _rank(bought[0]) > _rank(earned.tier):
        tier, retain, paid = bought[0], bought[1], True
    else:
        tier, retain, paid = earned.tier, earned.retain_until, False
    was = previous.id if previous is not None else None
    if was == (tier.id if tier is not None else None):
        move = TierMove.SAME
    else:
        move = TierMove.UP if _rank(tier) > _rank(previous) else TierMove.DOWN
    if paid:
        reason = TierChangeReason.PURCHASED
    elif current.paid and move is TierMove.DOWN:
        reason = TierChangeReason.MEMBERSHIP_ENDED
    else:
        reason = earned.reason or TierChangeReason.QUALIFIED
    return Decision(tier, retain, move, None if move is TierMove.SAME else reason, previous, paid)


def progress(
    tiers: list[Tier], settings: TierSettings, held: Tier | None, value: int
) -> Progress | None:
    """Where the member stands against the next tier up (None at the top)."""
    nxt = next_tier(tiers, held)
    if nxt is None:
        return None
    return Progress(settings.metric, value, nxt.threshold, max(nxt.threshold - value, 0))


def retention(
    settings: TierSettings, held: Tier | None, current: MemberTier | None, value: int
) -> Retention | None:
    """What it takes to keep the held tier, and by when (None: it cannot be lost)."""
    if held is None or current is None or current.retain_until is None:
        return None
    return Retention(
        current.retain_until,
        settings.metric,
        value,
        held.threshold,
        max(held.threshold - value, 0),
    )


# --- validation of definitions ---------------------------------------------------------


def _benefits(benefits: TierBenefits) -> TierBenefits:
    percent = benefits.discount_percent
    if percent is None:
        return benefits
    field = ("benefits", "discountPercent")
    exact = bounded_decimal(percent, field, places=2)
    if not Decimal(0) < exact <= Decimal(100):
        raise DomainError(
            "discountPercent must be more than 0 and at most 100, with at most 2 decimals; "
            "leave it out for no discount.",
            field=field,
        )
    # As stored (numeric(5, 2)), so a tier reads the same before and after it is saved.
    return replace(benefits, discount_percent=exact.quantize(_CENTS))


def _multiplier(value: Decimal) -> Decimal:
    try:
        exact = bounded_decimal(value, ("multiplier",), places=3)
        ok = Decimal(0) <= exact <= MAX_MULTIPLIER
    except DomainError:
        ok = False
    if not ok:
        raise DomainError(
            f"multiplier must be 0 to {MAX_MULTIPLIER}, with at most 3 decimals.",
            field=("multiplier",),
        )
    return exact


def validate_tier(tier: Tier, others: list[Tier]) -> Tier:
    """A clean tier, checked against the other tiers of the tenant."""
    name = " ".join(tier.name.split())
    if not name or len(name) > 60:
        raise DomainError("name must be 1 to 60 characters.", field=("name",))
    if not 0 <= tier.threshold <= MAX_THRESHOLD:
        raise DomainError(f"threshold must be 0 to {MAX_THRESHOLD}.", field=("threshold",))
    perks = tuple(p.strip() for p in tier.perks)
    if len(perks) > MAX_PERKS or any(not p or len(p) > 200 for p in perks):
        raise DomainError(f"Up to {MAX_PERKS} perks of 1 to 200 characters each.", field=("perks",))
    clean = replace(
        tier,
        name=name,
        perks=perks,
        multiplier=_multiplier(tier.multiplier),
        benefits=_benefits(tier.benefits),
    )
    if clean.archived:
        return clean
    live = [t for t in others if t.id != tier.id and not t.archived]
    if len(live) >= MAX_TIERS:
        raise DomainError(f"A program has at most {MAX_TIERS} tiers.", field=("threshold",))
    if any(t.name.casefold() == name.casefold() for t in live):
        raise Duplicate("Another tier has this name.", field=("name",))
    if any(t.threshold == clean.threshold for t in live):
        raise Duplicate("Another tier has this threshold.", field=("threshold",))
    return clean


def validate_settings(settings: TierSettings) -> TierSettings:
    if settings.window is TierWindow.ROLLING_MONTHS:
        if settings.rolling_months is None:
            raise DomainError(
                "A rolling window needs rollingMonths.",
                field=("rollingMonths",),
                code=ErrorCode.REQUIRED,
            )
        if not 1 <= settings.rolling_months <= MAX_ROLLING_MONTHS:
            raise DomainError(
                f"rollingMonths must be 1 to {MAX_ROLLING_MONTHS}.", field=("rollingMonths",)
            )
    else:
        settings = replace(settings, rolling_months=None)
    if not 0 <= settings.grace_days <= MAX_GRACE_DAYS:
        raise DomainError(f"graceDays must be 0 to {MAX_GRACE_DAYS}.", field=("graceDays",))
    return settings
