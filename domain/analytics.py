"""The program's KPIs as pure formulas over rollup sums, and the period they are taken over.

Each formula names the article its definition comes from (the source articles of the
project's insights work; docs/analytics.md gives every formula with its definitions).
Rates are exact fractions, None when their denominator is zero: "no data" is not zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from domain.errors import DomainError
from domain.records.analytics import (
    AnalyticsSettings,
    CustomerTotals,
    DayTotals,
    Interval,
    Retention,
)

MAX_PERIOD_DAYS = 731  # two years, a leap day included
CLV_YEARS = 3  # 001_b912145bd3295e28.txt: three years is the usual realistic lifetime
DAYS_PER_MONTH = 30  # the monthly program cost is spread over days at this rate


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days: `start` inclusive, `end` exclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as instants: midnight UTC of `start` and of `end`."""
        return (
            datetime.combine(self.start, time(), tzinfo=UTC),
            datetime.combine(self.end, time(), tzinfo=UTC),
        )

    @property
    def previous(self) -> Period:
        """The period of the same length just before: the retention cohort's."""
        return Period(self.start - timedelta(days=self.days), self.start)


def period_of(start: datetime, end: datetime) -> Period:
    """The UTC days from `start`'s day to the day holding the last instant before `end`."""
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError("from and to need a time zone.", field=("from",))
    if start >= end:
        raise DomainError("from must be before to.", field=("to",))
    first = start.astimezone(UTC).date()
    last = end.astimezone(UTC)
    after = last.date() if last.time() == time(0) else last.date() + timedelta(days=1)
    period = Period(first, after)
    if period.days > MAX_PERIOD_DAYS:
        raise DomainError(
            f"The period covers {period.days} days; at most {MAX_PERIOD_DAYS}.", field=("to",)
        )
    return period


def ratio(part: int | Fraction, whole: int | Fraction) -> Fraction | None:
    """part / whole, None when whole is zero."""
    return Fraction(part) / Fraction(whole) if whole else None


def active_engagement_rate(engaged: int, members: int) -> Fraction | None:
    """AER = members who both earned and redeemed in the period / all members.
    Source: 001_b912145bd3295e28.txt (active engagement rate: earning and using points)."""
    return ratio(engaged, members)


def repeat_purchase_rate(repeat_buyers: int, buyers: int) -> Fraction | None:
    """customers with 2+ orders in the period / customers with 1+ orders in it.
    Source: 001_b912145bd3295e28.txt (repeat rate), 002_a724b41b302cd474.txt (repurchase
    rate: repeat buyers as a share of all customers)."""
    return ratio(repeat_buyers, buyers)


def average_order_value(revenue_minor: int, orders: int) -> Fraction | None:
    """AOV = revenue (net of refunds) / orders. Source: 002_a724b41b302cd474.txt (spend per
    transaction)."""
    return ratio(revenue_minor, orders)


def purchase_frequency(orders: int, buyers: int) -> Fraction | None:
    """orders / customers who ordered, in the period. Source: 001_b912145bd3295e28.txt
    (members buy more often: the monetary bonus)."""
    return ratio(orders, buyers)


def monetary_bonus(
    member_revenue_minor: int, member_buyers: int, guest_revenue_minor: int, guest_buyers: int
) -> Fraction | None:
    """(members' revenue / members who ordered) / (guests' revenue / guests who ordered):
    how many times a member spends what a guest does. Source: 001_b912145bd3295e28.txt
    (monetary bonus: members buy more often and spend more per transaction)."""
    members = ratio(member_revenue_minor, member_buyers)
    guests = ratio(guest_revenue_minor, guest_buyers)
    if members is None or guests is None:
        return None
    return ratio(members, guests)


def retention_rate(retained: int, cohort: int) -> Fraction | None:
    """members who ordered in the previous period and again in this one / members who
    ordered in the previous period. Source: 002_a724b41b302cd474.txt (retention: the share
    of customers kept over a given period)."""
    return ratio(retained, cohort)


def churn_rate(retention: Fraction | None) -> Fraction | None:
    """1 - retention rate, on the same cohort. Source: 002_a724b41b302cd474.txt (churn,
    customer attrition)."""
    return None if retention is None else 1 - retention


def upsell_ratio(upsold: int, buyers: int) -> Fraction | None:
    """customers with an order of two or more distinct products / customers who ordered.
    Source: 002_a724b41b302cd474.txt (upsell ratio: customers buying several products
    against those buying one)."""
    return ratio(upsold, buyers)


def redemption_rate(redeemed: int, earned: int) -> Fraction | None:
    """points redeemed / points earned, in the period."""
    return ratio(redeemed, earned)


def points_value(points: int, point_value_minor: Decimal) -> Fraction:
    """What points are worth in minor units at the program's point value."""
    return Fraction(points) * Fraction(point_value_minor)


def customer_lifetime_value(
    aov: Fraction | None,
    frequency: Fraction | None,
    retention: Fraction | None,
    gross_margin: Decimal | None,
    period_days: int,
) -> Fraction | None:
    """CLV over three years = AOV x frequency x margin x (1 + r + r^2 + ... + r^(n-1)):
    a member's gross profit per period, kept by the retention rate r period after period,
    for the n periods in three years (n = 1095 / period days, halves rounded up, at least 1).
    Source: 001_b912145bd3295e28.txt (CLV, three years)."""
    if aov is None or frequency is None or retention is None or gross_margin is None:
        return None
    # Halves round up (36.5 periods of 30 days are 37), not to even as round() would.
    periods = max(1, int(Fraction(365 * CLV_YEARS, period_days) + Fraction(1, 2)))
    kept = sum((retention**k for k in range(periods)), Fraction(0))
    return aov * frequency * Fraction(gross_margin) * kept


def incremental_member_revenue(
    member_revenue_minor: int, member_buyers: int, guest_revenue_minor: int, guest_buyers: int
) -> Fraction | None:
    """Members' revenue less what as many guests would have spent (guests' revenue per
    guest who ordered), the revenue the program brought."""
    per_guest = ratio(guest_revenue_minor, guest_buyers)
    if per_guest is None:
        return None
    return member_revenue_minor - member_buyers * per_guest


def program_cost(
    points_redeemed: int, point_value_minor: Decimal, monthly_cost_minor: int, period_days: int
) -> Fraction:
    """points redeemed at their value + the monthly cost x period days / 30."""
    return points_value(points_redeemed, point_value_minor) + Fraction(
        monthly_cost_minor * period_days, DAYS_PER_MONTH
    )


def return_on_investment(incremental: Fraction | None, cost: Fraction) -> Fraction | None:
    """ROI = (incremental member revenue - program cost) / program cost.
    Source: 001_b912145bd3295e28.txt (ROI: the program's costs against the extra revenue
    it brings)."""
    if incremental is None:
        return None
    return ratio(incremental - cost, cost)


def minor_units(amount: Fraction) -> int:
    """An amount rounded to whole minor units, halves away from zero."""
    exact = Decimal(amount.numerator) / Decimal(amount.denominator)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))


def bucket_start(day: date, width: Interval) -> date:
    """The first day of the DAY, WEEK (Monday) or MONTH bucket holding `day`."""
    if width is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if width is Interval.MONTH:
        return day.replace(day=1)
    return day


def next_bucket(start: date, width: Interval) -> date:
    """The start of the bucket after the one starting on `start`."""
    if width is Interval.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if width is Interval.WEEK else 1)


def first_whole_bucket(day: date, width: Interval) -> date:
    """The first bucket starting on or after `day`: where a period's whole buckets begin."""
    start = bucket_start(day, width)
    return start if start == day else next_bucket(start, width)


@dataclass(frozen=True, slots=True)
class SideBySide:
    """One KPI for members and for guests, on the same definition."""

    members: Fraction | None
    guests: Fraction | None


@dataclass(frozen=True, slots=True)
class Kpis:
    """Every KPI of a period; money in minor units of the program's currency."""

    members_total: int
    members_new: int
    members_active: int
    active_engagement_rate: Fraction | None
    repeat_purchase_rate: SideBySide
    average_order_value: SideBySide
    purchase_frequency: SideBySide
    monetary_bonus: Fraction | None
    customer_lifetime_value: Fraction | None
    retention_rate: Fraction | None
    churn_rate: Fraction | None
    upsell_ratio: Fraction | None
    redemption_rate: Fraction | None
    points_outstanding: int
    points_outstanding_value: Fraction
    roi: Fraction | None


def kpis(
    period: Period,
    days: DayTotals,
    members: CustomerTotals,
    guests: CustomerTotals,
    retention: Retention,
    settings: AnalyticsSettings,
    point_value_minor: Decimal,
) -> Kpis:
    """The KPIs from the rollups' sums. AOV counts every order (anonymous guests' too);
    rates per customer count members and guests with a guestId only."""
    aov = SideBySide(
        average_order_value(days.member_revenue_minor, days.member_orders),
        average_order_value(days.guest_revenue_minor, days.guest_orders),
    )
    frequency = SideBySide(
        purchase_frequency(members.orders, members.buyers),
        purchase_frequency(guests.orders, guests.buyers),
    )
    kept = retention_rate(retention.retained, retention.cohort)
    buyers = members.buyers + guests.buyers
    cost = program_cost(
        days.points_redeemed, point_value_minor, settings.monthly_cost_minor, period.days
    )
    incremental = incremental_member_revenue(
        members.revenue_minor, members.buyers, guests.revenue_minor, guests.buyers
    )
    return Kpis(
        members_total=days.members_total,
        members_new=days.new_members,
        members_active=members.active,
        active_engagement_rate=active_engagement_rate(members.engaged, days.members_total),
        repeat_purchase_rate=SideBySide(
            repeat_purchase_rate(members.repeat_buyers, members.buyers),
            repeat_purchase_rate(guests.repeat_buyers, guests.buyers),
        ),
        average_order_value=aov,
        purchase_frequency=frequency,
        monetary_bonus=monetary_bonus(
            members.revenue_minor, members.buyers, guests.revenue_minor, guests.buyers
        ),
        customer_lifetime_value=customer_lifetime_value(
            aov.members, frequency.members, kept, settings.gross_margin, period.days
        ),
        retention_rate=kept,
        churn_rate=churn_rate(kept),
        upsell_ratio=upsell_ratio(members.upsold + guests.upsold, buyers),
        redemption_rate=redemption_rate(days.points_redeemed, days.points_earned),
        points_outstanding=days.points_outstanding,
        points_outstanding_value=points_value(days.points_outstanding, point_value_minor),
        roi=return_on_investment(incremental, cost),
    )
