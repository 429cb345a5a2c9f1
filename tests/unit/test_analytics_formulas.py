"""The KPI formulas and the analytics period, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.analytics import (
    Period,
    bucket_start,
    churn_rate,
    customer_lifetime_value,
    incremental_member_revenue,
    kpis,
    minor_units,
    monetary_bonus,
    period_of,
    program_cost,
    return_on_investment,
)
from domain.errors import DomainError
from domain.records.analytics import (
    AnalyticsSettings,
    CustomerTotals,
    DayTotals,
    Interval,
    Retention,
)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_a_period_is_the_utc_days_it_touches():
    # given an end at midnight, one within a day, and one in another zone
    whole = period_of(at(1), at(8))
    partial = period_of(at(1, 12), at(7, 1))
    tokyo = period_of(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=9))), at(2))

    # then a midnight end leaves its day out, a later one takes it in, zones go to UTC
    assert whole == Period(date(2026, 3, 1), date(2026, 3, 8))
    assert partial == Period(date(2026, 3, 1), date(2026, 3, 8))
    assert tokyo == Period(date(2026, 2, 28), date(2026, 3, 2))
    assert whole.days == 7
    assert whole.previous == Period(date(2026, 2, 22), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (at(2), at(1), "before"),
        (at(1), at(1), "before"),
        (at(1), at(1) + timedelta(days=732), "at most 731"),
        (datetime(2026, 3, 1), at(2), "time zone"),
    ],
)
def test_a_period_runs_forward_over_at_most_two_years(start, end, words):
    # when a period runs backwards, is empty, too long or without a zone, then it is refused
    with pytest.raises(DomainError) as refused:
        period_of(start, end)
    assert words in refused.value.message


def test_two_years_with_a_leap_day_are_allowed():
    # given 731 days, the longest period; then it is accepted
    assert period_of(at(1), at(1) + timedelta(days=731)).days == 731


def test_rates_without_a_denominator_are_none():
    # given no guests, no cost, no cohort; then the rates on them are None, not zero
    assert monetary_bonus(1000, 1, 0, 0) is None
    assert return_on_investment(incremental_member_revenue(1000, 1, 0, 0), Fraction(5)) is None
    assert return_on_investment(Fraction(10), Fraction(0)) is None
    assert churn_rate(None) is None
    assert customer_lifetime_value(Fraction(10), Fraction(1), Fraction(1, 2), None, 30) is None


def test_clv_keeps_the_gross_profit_period_after_period_at_the_retention_rate():
    # given a 365-day period: three periods in three years
    value = customer_lifetime_value(Fraction(100), Fraction(2), Fraction(1, 2), Decimal("0.5"), 365)

    # then 100 x 2 x 0.5 = 100 per year, kept 1 + 1/2 + 1/4
    assert value == Fraction(175)
    # and a member always kept is worth three years in full
    assert customer_lifetime_value(Fraction(100), Fraction(2), Fraction(1), Decimal(1), 365) == 600


def test_roi_weighs_incremental_member_revenue_against_cost():
    # given members spending 30000 over 2 buyers, guests 10000 over 2; 500 points at 2 cents
    # and 3000 a month over 30 days
    incremental = incremental_member_revenue(30000, 2, 10000, 2)
    cost = program_cost(500, Decimal(2), 3000, 30)

    # then 30000 - 2 x 5000 = 20000 extra, against 1000 + 3000: ROI 4
    assert (incremental, cost) == (20000, 4000)
    assert return_on_investment(incremental, cost) == 4


@given(st.integers(-(10**12), 10**12), st.integers(1, 1000))
def test_minor_units_round_halves_away_from_zero(numerator, denominator):
    # given any fraction; then it rounds to the nearest unit, halves away from zero
    rounded = minor_units(Fraction(numerator, denominator))
    exact = Fraction(numerator, denominator)
    assert abs(rounded - exact) <= Fraction(1, 2)
    if abs(rounded - exact) == Fraction(1, 2):
        assert abs(rounded) > abs(exact)


def test_buckets_start_on_their_boundaries():
    # given Sunday March 1 2026; then its week starts Monday Feb 23, its month on the 1st
    sunday = date(2026, 3, 1)
    assert bucket_start(sunday, Interval.WEEK) == date(2026, 2, 23)
    assert bucket_start(date(2026, 3, 17), Interval.MONTH) == date(2026, 3, 1)
    assert bucket_start(sunday, Interval.DAY) == sunday


def test_the_kpis_of_one_small_period():
    # given 10 members, 4 of whom bought 6 times for 60000 (2 of them more than once, 1 with
    # several products); 3 guests bought 3 times for 15000 plus 1 anonymous order of 5000;
    # 1000 points earned, 250 redeemed, 2000 outstanding at 1.5 cents; 4 of last period's 8
    # buyers bought again; margin 0.25, no monthly cost, a 30-day period
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    days = DayTotals(
        members_total=10,
        new_members=3,
        member_orders=6,
        guest_orders=4,
        member_revenue_minor=60000,
        guest_revenue_minor=20000,
        points_earned=1000,
        points_redeemed=250,
        points_outstanding=2000,
    )
    members = CustomerTotals(
        buyers=4, repeat_buyers=2, orders=6, revenue_minor=60000, upsold=1, active=5, engaged=2
    )
    guests = CustomerTotals(buyers=3, repeat_buyers=0, orders=3, revenue_minor=15000)
    settings = AnalyticsSettings(gross_margin=Decimal("0.25"))

    # when the KPIs are taken
    k = kpis(period, days, members, guests, Retention(8, 4), settings, Decimal("1.5"))

    # then each is its formula on these sums
    assert (k.members_total, k.members_new, k.members_active) == (10, 3, 5)
    assert k.active_engagement_rate == Fraction(2, 10)
    assert (k.repeat_purchase_rate.members, k.repeat_purchase_rate.guests) == (Fraction(1, 2), 0)
    assert (k.average_order_value.members, k.average_order_value.guests) == (10000, 5000)
    assert (k.purchase_frequency.members, k.purchase_frequency.guests) == (Fraction(3, 2), 1)
    assert k.monetary_bonus == Fraction(15000, 5000)
    assert (k.retention_rate, k.churn_rate) == (Fraction(1, 2), Fraction(1, 2))
    assert k.upsell_ratio == Fraction(1, 7)
    assert k.redemption_rate == Fraction(1, 4)
    assert (k.points_outstanding, k.points_outstanding_value) == (2000, 3000)
    # 60000 - 4 x 5000 = 40000 extra, against 250 x 1.5 = 375
    assert k.roi == Fraction(40000 - 375, 375)
    # 10000 x 1.5 x 0.25 = 3750 a period, kept at 1/2 over round(1095 / 30) = 37 periods
    assert k.customer_lifetime_value == 3750 * (2 - Fraction(1, 2**36))
