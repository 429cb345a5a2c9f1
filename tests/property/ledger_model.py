"""A small reference model of one member's wallet, written from the rules, not the code:
lots with a return window and an expiry, FIFO spending (soonest to expire first), refunds
that void pending points first and follow a clawback policy, debt paid off first.

The state-machine test drives the real system and this model side by side."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class ModelLot:
    id: int
    points: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None
    pending: bool
    order_id: str | None

    def spend_key(self) -> tuple[bool, datetime, int]:
        return (self.expires_at is None, self.expires_at or self.available_at, self.id)


@dataclass
class ModelOrder:
    order_id: str
    placed_at: datetime
    paid: int
    earned: int
    refunded: int = 0
    reversed: int = 0


class Refused(Exception):
    """The model's way of saying the system must refuse this with `code`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class WalletModel:
    allow_negative: bool
    pending_days: int
    expiry_days: int | None
    inactivity_days: int | None
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    debt: int = 0
    shortfall: int = 0
    last_activity: datetime | None = None
    lots: list[ModelLot] = field(default_factory=list)
    orders: dict[str, ModelOrder] = field(default_factory=dict)

    # --- time ------------------------------------------------------------------------------

    def settle(self, now: datetime) -> None:
        """What opening the wallet does: mature, then expire, in the order time ran."""
        due = [
            lot
            for lot in self.lots
            if lot.remaining > 0
            and (
                (lot.pending and lot.available_at <= now)
                or (lot.expires_at is not None and lot.expires_at <= now)
            )
        ]
        maturing = sorted(
            (
                lot
                for lot in due
                if lot.pending and (lot.expires_at is None or lot.available_at < lot.expires_at)
            ),
            key=lambda lot: (lot.available_at, lot.id),
        )
        if maturing:
            total = sum(lot.remaining for lot in maturing)
            repay = min(self.debt, total)
            self.available += total - repay
            self.pending -= total
            self.debt -= repay
            for lot in maturing:
                lot.pending = False
            self._take(maturing, repay)
        for lot in due:
            if lot.expires_at is not None and lot.expires_at <= now and lot.remaining > 0:
                if lot.pending:
                    self.pending -= lot.remaining
                else:
                    self.available -= lot.remaining
                lot.remaining = 0

    def due(self, now: datetime) -> bool:
        return any(
            lot.remaining > 0
            and (
                (lot.pending and lot.available_at <= now)
                or (lot.expires_at is not None and lot.expires_at <= now)
            )
            for lot in self.lots
        )

    def expire_inactive(self, now: datetime) -> None:
        if self.inactivity_days is None or self.last_activity is None or self.available <= 0:
            return
        if self.last_activity > now - timedelta(days=self.inactivity_days):
            return
        self.settle(now)
        for lot in self._spendable(now):
            self.available -= lot.remaining
            lot.remaining = 0

    # --- points in and out -----------------------------------------------------------------

    def _credit(
        self, points: int, now: datetime, available_at: datetime, order_id: str | None
    ) -> None:
        pending = available_at > now
        repay = 0 if pending else min(self.debt, points)
        expires_at = now + timedelta(days=self.expiry_days) if self.expiry_days else None
        lot_id = len(self.lots) + 1
        self.lots.append(
            ModelLot(lot_id, points, points - repay, available_at, expires_at, pending, order_id)
        )
        if pending:
            self.pending += points
        else:
            self.available += points - repay
        self.lifetime += points
        self.debt -= repay
        self.last_activity = now

    def _spendable(self, now: datetime) -> list[ModelLot]:
        return sorted(
            (
                lot
                for lot in self.lots
                if lot.remaining > 0
                and not lot.pending
                and (lot.expires_at is None or lot.expires_at > now)
            ),
            key=ModelLot.spend_key,
        )

    @staticmethod
    def _take(lots: list[ModelLot], points: int) -> int:
        left = points
        for lot in lots:
            take = min(lot.remaining, left)
            lot.remaining -= take
            left -= take
        return points - left

    def bonus(self, points: int, now: datetime) -> None:
        self.settle(now)
        self._credit(points, now, now, None)

    def spend(self, points: int, now: datetime) -> None:
        # A refusal rolls back the settling that came before it, so try on a copy first.
        trial = copy.deepcopy(self)
        trial.settle(now)
        if sum(lot.remaining for lot in trial._spendable(now)) < points:
            raise Refused("INSUFFICIENT_POINTS")
        self.settle(now)
        self._take(self._spendable(now), points)
        self.available -= points
        self.last_activity = now

    def _reverse(self, points: int, order_id: str, now: datetime) -> None:
        own = sorted(
            (lot for lot in self.lots if lot.order_id == order_id and lot.remaining > 0),
            key=lambda lot: -lot.id,
        )
        own_pending = [lot for lot in own if lot.pending]
        own_available = [lot for lot in own if not lot.pending]
        from_pending = self._take(own_pending, points)
        from_own = self._take(own_available, points - from_pending)
        used = {lot.id for lot in own}
        others = [lot for lot in self._spendable(now) if lot.id not in used]
        from_others = self._take(others, points - from_pending - from_own)
        shortfall = points - from_pending - from_own - from_others
        self.available -= from_own + from_others
        self.pending -= from_pending
        self.lifetime -= points
        self.shortfall += shortfall
        if self.allow_negative:
            self.debt += shortfall
        self.last_activity = now

    # --- orders ----------------------------------------------------------------------------

    def _available_from(self, placed_at: datetime, now: datetime) -> datetime:
        if self.pending_days == 0:
            return max(placed_at, now)
        return placed_at + timedelta(days=self.pending_days)

    def earned_for(self, paid: int, order_id: str) -> int:
        return paid // 100  # one point per dollar, rounded down

    def record_order(self, order_id: str, paid: int, now: datetime) -> int:
        """A new order, or a change of one; returns the points it moved."""
        earned = self.earned_for(paid, order_id)
        old = self.orders.get(order_id)
        if old is not None and old.paid == paid:
            return 0
        if old is not None and old.refunded > 0:
            raise Refused("ORDER_REFUNDED")
        placed_at = old.placed_at if old else now
        delta = earned - (old.earned if old else 0)
        if delta or old is None:
            self.settle(now)
            if delta > 0:
                self._credit(delta, now, self._available_from(placed_at, now), order_id)
            elif delta < 0:
                self._reverse(-delta, order_id, now)
            else:  # an order that earns nothing is still activity
                self.last_activity = now
        self.orders[order_id] = ModelOrder(order_id, placed_at, paid, earned)
        return delta

    def refund(self, order_id: str, amount: int, now: datetime) -> int:
        order = self.orders[order_id]
        if order.refunded + amount > order.paid:
            raise Refused("REFUND_EXCEEDS_PAID")
        order.refunded += amount
        # Half up, on the running total, so that refunds add up to what was earned.
        target = (2 * order.earned * order.refunded + order.paid) // (2 * order.paid)
        points = max(target - order.reversed, 0)
        if points:
            self.settle(now)
            self._reverse(points, order_id, now)
        order.reversed += points
        return points
