"""The tier rules of docs/concepts.md ("Tiers"), as a reference for the state machine:

- a member holds the highest tier whose threshold their metric meets over the window;
- up at once, on every change that can move the metric;
- a tier met is kept until the end of the following period (the next calendar year, or N
  months after it was last met), plus the grace days; meeting it again renews it; only then,
  when the worker reviews the member, do they move down to the tier they meet;
- never down with a LIFETIME window or the NEVER policy;
- the multiplier of the tier held when an order is first recorded applies to that order,
  changes of it included.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from tests.property.ledger_model import WalletModel


@dataclass(frozen=True)
class ModelTier:
    name: str
    threshold: int
    multiplier: Decimal


def months_after(at: datetime, months: int) -> datetime:
    """The same day `months` later (or earlier), on the month's last day if it is shorter."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


@dataclass
class TierModel:
    tiers: list[ModelTier]  # lowest first
    metric: str  # POINTS_EARNED, AMOUNT_SPENT or ORDER_COUNT
    window: str  # LIFETIME, CALENDAR_YEAR or ROLLING_MONTHS
    rolling_months: int | None
    never_down: bool
    grace_days: int
    held: ModelTier | None = None
    since: datetime | None = None
    retain_until: datetime | None = None
    # The definitions changed since the member was last evaluated: the worker will.
    stale: bool = False

    def window_start(self, now: datetime) -> datetime | None:
        if self.window == "LIFETIME":
            return None
        if self.window == "CALENDAR_YEAR":
            return datetime(now.year, 1, 1, tzinfo=UTC)
        # Everything after the instant N months ago (to the microsecond).
        assert self.rolling_months is not None
        return months_after(now, -self.rolling_months) + timedelta(microseconds=1)

    def value(self, wallet: TierWalletModel, now: datetime) -> int:
        start = self.window_start(now)

        def inside(at: datetime) -> bool:
            return start is None or at >= start

        if self.metric == "POINTS_EARNED":
            return sum(delta for at, delta in wallet.lifetime_log if inside(at))
        orders = [o for o in wallet.orders.values() if inside(o.placed_at)]
        if self.metric == "AMOUNT_SPENT":
            return sum(o.paid - o.refunded for o in orders)
        return sum(1 for o in orders if o.refunded < o.paid or o.paid == 0)

    def met(self, value: int) -> ModelTier | None:
        meets = [t for t in self.tiers if t.threshold <= value]
        return meets[-1] if meets else None

    def kept_until(self, met_at: datetime) -> datetime | None:
        if self.never_down or self.window == "LIFETIME":
            return None
        if self.window == "CALENDAR_YEAR":
            end = datetime(met_at.year + 2, 1, 1, tzinfo=UTC)  # the end of the next year
        else:
            assert self.rolling_months is not None
            end = months_after(met_at, self.rolling_months)
        return end + timedelta(days=self.grace_days)

    @staticmethod
    def _rank(tier: ModelTier | None) -> int:
        return -1 if tier is None else tier.threshold

    def evaluate(self, value: int, now: datetime) -> None:
        met = self.met(value)
        if self._rank(met) >= self._rank(self.held):
            tier = met  # up at once, or the same tier met again: renewed
        elif self.retain_until is None or now < self.retain_until:
            tier = self.held  # kept: for ever, or until its period is over
        else:
            tier = met  # the kept tier came due and is not met: down
        if tier != self.held:
            self.since = now
        if tier != self.held or tier == met:
            self.retain_until = (
                None if tier is None or tier.threshold == 0 else self.kept_until(now)
            )
        self.held = tier
        self.stale = False

    def change(self, name: str, threshold: int, multiplier: Decimal) -> None:
        """An operator changes a tier: held tiers follow, everyone is re-evaluated later."""
        changed = ModelTier(name, threshold, multiplier)
        self.tiers = sorted(
            (changed if t.name == name else t for t in self.tiers), key=lambda t: t.threshold
        )
        if self.held is not None and self.held.name == name:
            self.held = changed
        self.stale = True

    def review(self, value: int, now: datetime) -> None:
        """The worker: members evaluated before the definitions changed, then members whose
        kept tier has come due."""
        if self.stale:
            self.evaluate(value, now)
        if self.retain_until is not None and self.retain_until <= now:
            self.evaluate(value, now)

    def moments_ahead(self, wallet: TierWalletModel, now: datetime) -> set[datetime]:
        """When something about the tier can change with time alone."""
        moments = {self.retain_until} if self.retain_until else set()
        if self.window == "CALENDAR_YEAR":
            moments.add(datetime(now.year + 1, 1, 1, tzinfo=UTC))
        if self.window == "ROLLING_MONTHS":
            assert self.rolling_months is not None
            times = [at for at, _ in wallet.lifetime_log]
            times += [o.placed_at for o in wallet.orders.values()]
            moments |= {months_after(at, self.rolling_months) for at in times}
        return {m for m in moments if m > now}


@dataclass
class TierWalletModel(WalletModel):
    """The wallet, with its lifetime changes in time (the POINTS_EARNED metric) and orders
    earning at the multiplier of the tier held when they were first recorded (a change of
    an order keeps it)."""

    tier: TierModel | None = None
    lifetime_log: list[tuple[datetime, int]] = field(default_factory=list)
    order_multipliers: dict[str, Fraction] = field(default_factory=dict)

    def earned_for(self, paid: int, order_id: str) -> int:
        assert self.tier is not None
        held = self.tier.held
        current = Fraction(held.multiplier) if held else Fraction(1)
        multiplier = self.order_multipliers[order_id] if order_id in self.orders else current
        self.order_multipliers[order_id] = multiplier
        return int(Fraction(paid, 100) * multiplier)  # rounded down, once

    def _credit(
        self, points: int, now: datetime, available_at: datetime, order_id: str | None
    ) -> None:
        super()._credit(points, now, available_at, order_id)
        self.lifetime_log.append((now, points))

    def _reverse(self, points: int, order_id: str, now: datetime) -> None:
        super()._reverse(points, order_id, now)
        self.lifetime_log.append((now, -points))
