"""Reading the program's KPIs (domain/reads/analytics.py) and configuring their inputs
(domain/analytics_configuration.py), on the fakes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from domain.analytics import period_of
from domain.analytics_configuration import configure_analytics
from domain.earning import OrderLine
from domain.errors import DomainError
from domain.orders import record_order
from domain.reads.analytics import analytics_settings, program_analytics
from domain.records.analytics import AnalyticsSettings


async def test_members_and_identified_guests_are_compared_on_one_definition(world):
    # given a member who orders twice ($50, then two products for $30) and guests: g-1 once
    # for $20, and an anonymous $100 order
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id, "m-1"))
    two = (OrderLine("tee", 1, 2000), OrderLine("cap", 1, 1000))
    await record_order(world.uow, world.cache, world.clock, world.order(member.id, "m-2", *two))
    guest = world.order(None, "g-1", OrderLine("tee", 1, 2000), guest_id="g-1")
    await record_order(world.uow, world.cache, world.clock, guest)
    anonymous = world.order(None, "anon", OrderLine("tv", 1, 10000))
    await record_order(world.uow, world.cache, world.clock, anonymous)

    # when the day's KPIs are read
    now = world.clock.now()
    found = await program_analytics(world.uow, period_of(now, now + timedelta(hours=1)))

    # then the anonymous order is in the guests' AOV only; per customer, one member spent
    # 8000 to one guest's 2000; the member's two-product order is an upsell
    k = found.kpis
    assert (k.members_total, k.members_new, k.members_active) == (1, 1, 1)
    assert (k.average_order_value.members, k.average_order_value.guests) == (4000, 6000)
    assert (k.repeat_purchase_rate.members, k.repeat_purchase_rate.guests) == (1, 0)
    assert (k.purchase_frequency.members, k.purchase_frequency.guests) == (2, 1)
    assert k.monetary_bonus == 4
    assert k.upsell_ratio == Fraction(1, 2)
    assert (k.redemption_rate, k.points_outstanding) == (0, 80)
    # no member ordered in the day before: no cohort, so no retention, churn or CLV
    assert (k.retention_rate, k.churn_rate, k.customer_lifetime_value) == (None, None, None)


async def test_analytics_settings_change_only_what_is_given(world):
    # given a margin of 0.35 and a monthly cost of $500
    await configure_analytics(world.uow, gross_margin=Decimal("0.35"), monthly_cost_minor=50000)

    # when only the cost changes, and then a margin above 1 is sent
    await configure_analytics(world.uow, gross_margin=None, monthly_cost_minor=60000)
    with pytest.raises(DomainError) as refused:
        await configure_analytics(world.uow, gross_margin=Decimal("1.5"), monthly_cost_minor=None)

    # then the margin is kept, the cost changed, and the bad margin refused on its field
    assert await analytics_settings(world.uow) == AnalyticsSettings(Decimal("0.35"), 60000)
    assert refused.value.field == ("grossMargin",)
