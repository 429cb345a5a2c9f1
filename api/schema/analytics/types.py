"""The analytics types: the KPIs of a period, as the tenant's staff and agencies read them."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.scalars import BigInt
from api.schema.segments.segment_types import WinBack
from api.schema.surveys.summaries import CsatSummary, NpsSummary
from api.schema.tiers.tier_types import Tier
from domain.analytics import Period, SideBySide, minor_units
from domain.ports import UnitOfWorkFactory
from domain.reads.analytics import ProgramAnalytics, analytics_series
from domain.reads.program import program_tiers
from domain.reads.segments import win_back_in_period
from domain.reads.surveys import csat_summary, nps_summary
from domain.records.analytics import Interval as Width

Interval = strawberry.enum(
    Width,
    name="Interval",
    description="A series bucket: a UTC day, a week from Monday, a calendar month.",
)


def _rate(value: Fraction | None) -> float | None:
    return float(value) if value is not None else None


@strawberry.type(description="An amount of money: minor units (cents) and an ISO-4217 code.")
class Money:
    amount: BigInt
    currency: str

    @classmethod
    def of(cls, minor: Fraction | int, currency: str) -> Money:
        return cls(amount=BigInt(minor_units(Fraction(minor))), currency=currency)


def _money(value: Fraction | None, currency: str) -> Money | None:
    return Money.of(value, currency) if value is not None else None


@strawberry.type
class MemberCounts:
    total: BigInt = strawberry.field(description="Members enrolled by the end of the period.")
    new: BigInt = strawberry.field(description="Members enrolled within the period.")
    active: BigInt = strawberry.field(description="Members who earned or redeemed in it.")


@strawberry.type(description="A rate for members and for guests with a guestId; null: no data.")
class MemberGuestRates:
    members: float | None
    guests: float | None

    @classmethod
    def of(cls, pair: SideBySide) -> MemberGuestRates:
        return cls(members=_rate(pair.members), guests=_rate(pair.guests))


@strawberry.type(description="An amount for members and for guests; null: no orders.")
class MemberGuestMoney:
    members: Money | None
    guests: Money | None


@strawberry.type
class PointsLiability:
    points: BigInt = strawberry.field(description="Outstanding at the end of the period.")
    value: Money = strawberry.field(description="The points at the program's point value.")


@strawberry.type
class TierMembers:
    tier: Tier
    members: BigInt = strawberry.field(description="Members holding the tier now.")


@strawberry.type
class ReferralCounts:
    sent: BigInt = strawberry.field(description="Referred sign-ups in the period.")
    converted: BigInt = strawberry.field(
        description="Referrals rewarded in the period (the referee's qualifying order)."
    )
    revenue: Money = strawberry.field(
        description="What members brought by a rewarded referral spent in the period."
    )


@strawberry.type(description="One bucket of a series, for charts.")
class AnalyticsBucket:
    start: date = strawberry.field(description="The bucket's first day (UTC).")
    members: BigInt = strawberry.field(description="Members enrolled by the bucket's end.")
    active_members: BigInt
    orders: BigInt
    revenue: Money
    member_revenue: Money = strawberry.field(
        description="Revenue of enrolled members' orders; memberRevenue + guestRevenue = revenue."
    )
    guest_revenue: Money = strawberry.field(
        description="Revenue of guest orders, those without a guestId included."
    )
    points_earned: BigInt
    points_redeemed: BigInt
    nps: NpsSummary = strawberry.field(
        description="Net Promoter Score of the survey answers given in the bucket; its score"
        " is null when there were none."
    )


@strawberry.type(
    description="The program's KPIs over a period of whole UTC days; every formula and its"
    " source is in docs/analytics.md. Rates are null when their denominator is zero."
)
class Analytics:
    members: MemberCounts
    active_engagement_rate: float | None = strawberry.field(
        description="Members who both earned and redeemed in the period / all members."
    )
    repeat_purchase_rate: MemberGuestRates = strawberry.field(
        description="Customers with 2+ orders in the period / customers with 1+."
    )
    average_order_value: MemberGuestMoney = strawberry.field(
        description="Revenue net of refunds / orders; guests include orders without guestId."
    )
    purchase_frequency: MemberGuestRates = strawberry.field(
        description="Orders / customers who ordered, in the period."
    )
    monetary_bonus: float | None = strawberry.field(
        description="Members' spend per customer / guests' spend per customer."
    )
    customer_lifetime_value: Money | None = strawberry.field(
        description="Three-year gross profit of a member (needs the gross margin)."
    )
    retention_rate: float | None = strawberry.field(
        description="Members who ordered in the previous period of equal length and again"
        " in this one / members who ordered in the previous period."
    )
    churn_rate: float | None = strawberry.field(description="1 - retentionRate.")
    upsell_ratio: float | None = strawberry.field(
        description="Customers with an order of 2+ distinct products / customers who ordered."
    )
    redemption_rate: float | None = strawberry.field(
        description="Points redeemed / points earned, in the period."
    )
    points_liability: PointsLiability
    roi: float | None = strawberry.field(
        description="(Incremental member revenue - program cost) / program cost."
    )
    referrals: ReferralCounts
    tier_members: strawberry.Private[dict[UUID, int]]
    uow_factory: strawberry.Private[UnitOfWorkFactory]
    period: strawberry.Private[Period]
    interval: strawberry.Private[Width]
    currency: strawberry.Private[str]

    @strawberry.field(description="Members per tier held now, lowest tier first.")
    async def tiers(self, info: Info) -> list[TierMembers]:
        found = await program_tiers(self.uow_factory, include_archived=True)
        return [
            TierMembers(tier=Tier.of(t), members=BigInt(self.tier_members.get(t.id, 0)))
            for t in found
            if not t.archived or t.id in self.tier_members
        ]

    @strawberry.field(
        description="Net Promoter Score of the survey answers given in the period "
        "(docs/analytics.md, Surveys)."
    )
    async def nps(self) -> NpsSummary:
        since, until = self.period.bounds
        return NpsSummary.of(await nps_summary(self.uow_factory, since, until))

    @strawberry.field(
        description="Customer satisfaction of the survey answers given in the period "
        "(docs/analytics.md, Surveys)."
    )
    async def csat(self) -> CsatSummary:
        since, until = self.period.bounds
        return CsatSummary.of(await csat_summary(self.uow_factory, since, until))

    @strawberry.field(
        description="Win-back: of the members given a grantToSegment grant in the period, "
        "those who ordered within `days` after it."
    )
    async def win_back(self, days: int = 30) -> WinBack:
        since, until = self.period.bounds
        found = await win_back_in_period(self.uow_factory, since, until, days)
        return WinBack(members=found.members, reordered=found.reordered, rate=found.rate)

    @strawberry.field(description="Per bucket (the query's interval unless given), for charts.")
    async def series(
        self,
        info: Info,
        interval: Interval | None = None,  # type: ignore[valid-type]
    ) -> list[AnalyticsBucket]:
        width = Width(interval) if interval else self.interval
        return [
            AnalyticsBucket(
                start=p.start,
                members=BigInt(p.members),
                active_members=BigInt(p.active_members),
                orders=BigInt(p.orders),
                revenue=Money.of(p.revenue_minor, self.currency),
                points_earned=BigInt(p.points_earned),
                points_redeemed=BigInt(p.points_redeemed),
                member_revenue=Money.of(p.member_revenue_minor, self.currency),
                guest_revenue=Money.of(p.guest_revenue_minor, self.currency),
                nps=NpsSummary.of(p.nps),
            )
            for p in await analytics_series(self.uow_factory, self.period, width)
        ]

    @classmethod
    def of(
        cls,
        found: ProgramAnalytics,
        uow_factory: UnitOfWorkFactory,
        period: Period,
        interval: Width,
    ) -> Analytics:
        k, currency = found.kpis, found.currency
        return cls(
            members=MemberCounts(
                total=BigInt(k.members_total),
                new=BigInt(k.members_new),
                active=BigInt(k.members_active),
            ),
            active_engagement_rate=_rate(k.active_engagement_rate),
            repeat_purchase_rate=MemberGuestRates.of(k.repeat_purchase_rate),
            average_order_value=MemberGuestMoney(
                members=_money(k.average_order_value.members, currency),
                guests=_money(k.average_order_value.guests, currency),
            ),
            purchase_frequency=MemberGuestRates.of(k.purchase_frequency),
            monetary_bonus=_rate(k.monetary_bonus),
            customer_lifetime_value=_money(k.customer_lifetime_value, currency),
            retention_rate=_rate(k.retention_rate),
            churn_rate=_rate(k.churn_rate),
            upsell_ratio=_rate(k.upsell_ratio),
            redemption_rate=_rate(k.redemption_rate),
            points_liability=PointsLiability(
                points=BigInt(k.points_outstanding),
                value=Money.of(k.points_outstanding_value, currency),
            ),
            roi=_rate(k.roi),
            referrals=ReferralCounts(
                sent=BigInt(found.referrals.sent),
                converted=BigInt(found.referrals.converted),
                revenue=Money.of(found.referrals.revenue_minor, currency),
            ),
            tier_members=dict(found.tier_members),
            uow_factory=uow_factory,
            period=period,
            interval=interval,
            currency=currency,
        )
