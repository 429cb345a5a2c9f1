"""An order as recorded (what it earned, under which configuration) and a refund of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.earning import BreakdownLine, Order


@dataclass(frozen=True, slots=True)
class OrderRecord:
    order: Order
    fingerprint: str
    config_version: int
    earned_points: int
    reversed_points: int
    refunded_minor: int
    breakdown: tuple[BreakdownLine, ...]
    created_at: datetime
    updated_at: datetime
    # The member's tier multiplier when the order first earned: a change of the order is
    # priced at it, as at its first program version.
    tier_multiplier: Decimal = Decimal(1)

    @property
    def paid_minor(self) -> int:
        return self.order.paid_minor

    @property
    def net_points(self) -> int:
        return self.earned_points - self.reversed_points


@dataclass(frozen=True, slots=True)
class RefundRecord:
    refund_id: str
    order_id: str
    amount_minor: int
    points: int
