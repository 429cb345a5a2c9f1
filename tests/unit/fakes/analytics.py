"""The fake analytics port: the same sums as the rollups, computed from the fake tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from uuid import UUID

from domain.ledger import EntryKind, LedgerEntry
from domain.records.analytics import (
    AnalyticsSettings,
    Bucket,
    CustomerPeriod,
    CustomerTotals,
    DayTotals,
    Interval,
    ReferralTotals,
    Retention,
    TierCount,
)
from domain.records.orders import OrderRecord
from domain.records.referrals import ReferralStatus
from tests.unit.fakes.tables import Tables


def _net(e: LedgerEntry) -> int:
    return e.available_delta + e.pending_delta - e.debt_delta


def _redeemed(e: LedgerEntry) -> int:
    net = _net(e)
    if e.kind is EntryKind.REDEEM or (e.kind is EntryKind.REVERSE and net > 0):
        return -net
    return 0


def _customer(o: OrderRecord) -> tuple[str, str] | None:
    if o.order.member_id is not None:
        return ("M", str(o.order.member_id))
    return ("G", o.order.guest_id) if o.order.guest_id is not None else None


class FakeAnalyticsRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _entries(self) -> list[LedgerEntry]:
        return [
            r.entry
            for r in self._tables.entries.values()
            if r.entry.wallet == "points" and _net(r.entry)
        ]

    async def days(self, start: date, end: date) -> DayTotals:
        def within(day: date) -> bool:
            return start <= day < end

        orders = [o for o in self._tables.orders.values() if within(o.order.placed_at.date())]
        entries = [e for e in self._entries() if e.created_at.date() < end]
        members = [m for m in self._tables.members.values() if m.enrolled_at.date() < end]
        by_member = [o for o in orders if o.order.member_id is not None]
        by_guest = [o for o in orders if o.order.member_id is None]
        in_period = [e for e in entries if within(e.created_at.date())]
        return DayTotals(
            members_total=len(members),
            new_members=sum(1 for m in members if within(m.enrolled_at.date())),
            member_orders=len(by_member),
            guest_orders=len(by_guest),
            member_revenue_minor=sum(o.paid_minor - o.refunded_minor for o in by_member),
            guest_revenue_minor=sum(o.paid_minor - o.refunded_minor for o in by_guest),
            points_earned=sum(_net(e) for e in in_period if e.kind is EntryKind.EARN),
            points_redeemed=sum(_redeemed(e) for e in in_period),
            points_outstanding=sum(_net(e) for e in entries),
        )

    async def customers(self, cohort_start: date, start: date, end: date) -> CustomerPeriod:
        totals = self._totals(start, end)
        return CustomerPeriod(
            members=totals.get("M", CustomerTotals()),
            guests=totals.get("G", CustomerTotals()),
            retention=self._retention(cohort_start, start, end),
        )

    def _totals(self, start: date, end: date) -> dict[str, CustomerTotals]:
        orders: dict[tuple[str, str], list[OrderRecord]] = defaultdict(list)
        for o in self._tables.orders.values():
            key = _customer(o)
            if key is not None and start <= o.order.placed_at.date() < end:
                orders[key].append(o)
        kinds: dict[tuple[str, str], set[EntryKind]] = defaultdict(set)
        for e in self._entries():
            if start <= e.created_at.date() < end and e.kind in (EntryKind.EARN, EntryKind.REDEEM):
                kinds[("M", str(e.member_id))].add(e.kind)
        out: dict[str, CustomerTotals] = {}
        for kind in ("M", "G"):
            mine = {k: v for k, v in orders.items() if k[0] == kind}
            moved = {k: v for k, v in kinds.items() if k[0] == kind}
            if not mine and not moved:
                continue
            out[kind] = CustomerTotals(
                buyers=len(mine),
                repeat_buyers=sum(1 for v in mine.values() if len(v) >= 2),
                orders=sum(len(v) for v in mine.values()),
                revenue_minor=sum(
                    o.paid_minor - o.refunded_minor for v in mine.values() for o in v
                ),
                upsold=sum(
                    1
                    for v in mine.values()
                    if any(len({x.sku for x in o.order.lines}) > 1 for o in v)
                ),
                active=len(moved),
                engaged=sum(1 for v in moved.values() if len(v) == 2),
            )
        return out

    def _retention(self, before: date, start: date, end: date) -> Retention:
        earlier: set[UUID] = set()
        later: set[UUID] = set()
        for o in self._tables.orders.values():
            member, day = o.order.member_id, o.order.placed_at.date()
            if member is not None and before <= day < start:
                earlier.add(member)
            if member is not None and start <= day < end:
                later.add(member)
        return Retention(cohort=len(earlier), retained=len(earlier & later))

    async def series(self, start: date, end: date, interval: Interval) -> list[Bucket]:
        return []  # the series is covered against PostgreSQL (tests/api/test_analytics.py)

    async def tier_counts(self) -> list[TierCount]:
        counts: dict[UUID, int] = defaultdict(int)
        for row in self._tables.member_tiers.values():
            if row.member_tier.tier_id is not None:
                counts[row.member_tier.tier_id] += 1
        return [TierCount(t, n) for t, n in counts.items()]

    async def referrals(self, start: date, end: date) -> ReferralTotals:
        found = self._tables.referrals.values()
        return ReferralTotals(
            sent=sum(1 for r in found if start <= r.created_at.date() < end),
            converted=sum(
                1
                for r in found
                if r.status is ReferralStatus.REWARDED
                and r.rewarded_at is not None
                and start <= r.rewarded_at.date() < end
            ),
            revenue_minor=0,
        )

    async def settings(self) -> AnalyticsSettings:
        return self._tables.analytics_settings

    async def save_settings(self, settings: AnalyticsSettings) -> None:
        self._tables.analytics_settings = settings
