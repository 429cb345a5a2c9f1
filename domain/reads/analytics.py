"""Reading the program's KPIs for a period, from the rollups, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.analytics import Kpis, Period, bucket_start, kpis, next_bucket
from domain.ports import UnitOfWorkFactory
from domain.records.analytics import (
    AnalyticsSettings,
    Bucket,
    Interval,
    ReferralTotals,
)
from domain.surveys import NpsSummary


@dataclass(frozen=True, slots=True)
class ProgramAnalytics:
    kpis: Kpis
    currency: str
    tier_members: dict[UUID, int]
    referrals: ReferralTotals


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One bucket; `members` is the total enrolled by the bucket's end (or the period's)."""

    start: date
    members: int
    active_members: int
    orders: int
    revenue_minor: int
    points_earned: int
    points_redeemed: int
    member_revenue_minor: int
    guest_revenue_minor: int
    nps: NpsSummary  # of the answers given in the bucket (within the period)


async def program_analytics(uow_factory: UnitOfWorkFactory, period: Period) -> ProgramAnalytics:
    async with uow_factory() as uow:
        program = await uow.programs.current()
        days = await uow.analytics.days(period.start, period.end)
        customers = await uow.analytics.customers(period.previous.start, period.start, period.end)
        referrals = await uow.analytics.referrals(period.start, period.end)
        tiers = await uow.analytics.tier_counts()
        settings = await uow.analytics.settings()
    return ProgramAnalytics(
        kpis=kpis(
            period,
            days,
            customers.members,
            customers.guests,
            customers.retention,
            settings,
            program.point_value_minor,
        ),
        currency=program.currency,
        tier_members={t.tier_id: t.members for t in tiers},
        referrals=referrals,
    )


async def analytics_series(
    uow_factory: UnitOfWorkFactory, period: Period, interval: Interval
) -> list[SeriesPoint]:
    """Every bucket of the period, empty ones included, oldest first; the first bucket
    starts on its own boundary (a Monday, the 1st) but counts the period's days only."""
    async with uow_factory() as uow:
        days = await uow.analytics.days(period.start, period.end)
        found = {b.start: b for b in await uow.analytics.series(period.start, period.end, interval)}
        nps = await uow.surveys.nps_buckets(*period.bounds, interval)
    members = days.members_total - days.new_members
    points = []
    start = bucket_start(period.start, interval)
    while start < period.end:
        b = found.get(start) or Bucket(start, 0, 0, 0, 0, 0, 0)
        members += b.new_members
        points.append(
            SeriesPoint(
                start=start,
                members=members,
                active_members=b.active_members,
                orders=b.orders,
                revenue_minor=b.revenue_minor,
                points_earned=b.points_earned,
                points_redeemed=b.points_redeemed,
                member_revenue_minor=b.member_revenue_minor,
                guest_revenue_minor=b.guest_revenue_minor,
                nps=nps.get(start, NpsSummary()),
            )
        )
        start = next_bucket(start, interval)
    return points


async def analytics_settings(uow_factory: UnitOfWorkFactory) -> AnalyticsSettings:
    async with uow_factory() as uow:
        return await uow.analytics.settings()
