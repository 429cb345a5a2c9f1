"""An order as recorded (what it earned, under which configuration) and a refund of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.earning import BreakdownLine, Order


class OrderStatus(StrEnum):
    """Where an order stands, from what was paid and what was refunded of it."""

    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


def order_status(paid_minor: int, refunded_minor: int) -> OrderStatus:
    if refunded_minor <= 0:
        return OrderStatus.PAID
    if refunded_minor < paid_minor:
        return OrderStatus.PARTIALLY_REFUNDED
    return OrderStatus.REFUNDED


@dataclass(frozen=True, slots=True, order=True)
class OrderPosition:
    """Where an order stands in a list of orders, newest placed first: a page's cursor."""

    placed_at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Orders of a member, or of a guest, in a status, placed in [placed_from, placed_to)."""

    member_id: UUID | None = None
    guest_id: str | None = None
    status: OrderStatus | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None


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
    # Given by the store when the order is first recorded: breaks ties between orders placed
    # at the same time in a list of them (0 before it is stored).
    seq: int = 0

    @property
    def paid_minor(self) -> int:
        return self.order.paid_minor

    @property
    def net_points(self) -> int:
        return self.earned_points - self.reversed_points

    @property
    def status(self) -> OrderStatus:
        return order_status(self.paid_minor, self.refunded_minor)


@dataclass(frozen=True, slots=True)
class RefundRecord:
    refund_id: str
    order_id: str
    amount_minor: int
    points: int
    created_at: datetime | None = None  # None until it is stored
