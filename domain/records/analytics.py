"""What the analytics port answers: sums read from the rollups, per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID


class Interval(StrEnum):
    """The width of a series bucket; weeks start on Monday, months on the 1st (UTC)."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Sums of the per-day rollup: `members_total` and `points_outstanding` up to the end of
    the period, the rest within it. Guest orders and revenue include anonymous guests."""

    members_total: int = 0
    new_members: int = 0
    member_orders: int = 0
    guest_orders: int = 0
    member_revenue_minor: int = 0
    guest_revenue_minor: int = 0
    points_earned: int = 0
    points_redeemed: int = 0
    points_outstanding: int = 0


@dataclass(frozen=True, slots=True)
class CustomerTotals:
    """One kind of customer (members, or guests with a guestId) within a period."""

    buyers: int = 0  # customers with at least one order
    repeat_buyers: int = 0  # customers with two or more orders
    orders: int = 0
    revenue_minor: int = 0
    upsold: int = 0  # buyers with an order of two or more distinct products
    active: int = 0  # members who earned or redeemed
    engaged: int = 0  # members who both earned and redeemed


@dataclass(frozen=True, slots=True)
class Retention:
    """Members who ordered in the period before, and how many of them ordered again."""

    cohort: int
    retained: int


@dataclass(frozen=True, slots=True)
class CustomerPeriod:
    """Members and guests with a guestId within a period, and the members' retention."""

    members: CustomerTotals
    guests: CustomerTotals
    retention: Retention


@dataclass(frozen=True, slots=True)
class ReferralTotals:
    sent: int
    converted: int
    revenue_minor: int


@dataclass(frozen=True, slots=True)
class TierCount:
    tier_id: UUID
    members: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket of the series; `new_members` is turned into a running total by the read."""

    start: date
    new_members: int
    active_members: int
    orders: int
    revenue_minor: int
    points_earned: int
    points_redeemed: int
    member_revenue_minor: int = 0  # orders of enrolled members
    guest_revenue_minor: int = 0  # guest orders, anonymous ones included


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """What the tenant enters for CLV (gross margin, 0 to 1) and ROI (monthly cost)."""

    gross_margin: Decimal | None = None
    monthly_cost_minor: int = 0
