"""The analytics port: sums over the rollups that migrations 0010 and 0015 keep."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg

from domain.analytics import first_whole_bucket
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
from persistence.db import Conn

# Everything before `end` is read for the running totals (members, outstanding points): a
# row per day and shard, a few thousand rows for years of history.
_DAYS = """
SELECT coalesce(sum(new_members), 0) AS members_total,
       coalesce(sum(new_members) FILTER (WHERE day >= $1), 0) AS new_members,
       coalesce(sum(member_orders) FILTER (WHERE day >= $1), 0) AS member_orders,
       coalesce(sum(guest_orders) FILTER (WHERE day >= $1), 0) AS guest_orders,
       coalesce(sum(member_revenue_minor) FILTER (WHERE day >= $1), 0) AS member_revenue_minor,
       coalesce(sum(guest_revenue_minor) FILTER (WHERE day >= $1), 0) AS guest_revenue_minor,
       coalesce(sum(points_earned) FILTER (WHERE day >= $1), 0) AS points_earned,
       coalesce(sum(points_redeemed) FILTER (WHERE day >= $1), 0) AS points_redeemed,
       coalesce(sum(points_net), 0) AS points_outstanding
  FROM analytics_days WHERE day < $2
"""

# Of the period's customers, what their orders say, and whether members ordered in the
# previous period (the retention cohort): only order rows are read, a customer-day's orders
# and revenue being zero together (each order adds one and its revenue to its own day).
_BUYERS = """
WITH per AS (
    SELECT kind, customer,
           coalesce(sum(orders) FILTER (WHERE day >= $2), 0) AS o,
           coalesce(sum(revenue_minor) FILTER (WHERE day >= $2), 0) AS r,
           coalesce(sum(multi_product_orders) FILTER (WHERE day >= $2), 0) AS mp,
           bool_or(day < $2) AS before
      FROM customer_days
     WHERE day >= $1 AND day < $3 AND orders > 0
     GROUP BY kind, customer)
SELECT kind,
       count(*) FILTER (WHERE before) AS cohort,
       count(*) FILTER (WHERE before AND o > 0) AS retained,
       count(*) FILTER (WHERE o > 0) AS buyers,
       count(*) FILTER (WHERE o >= 2) AS repeat_buyers,
       coalesce(sum(o), 0) AS orders,
       coalesce(sum(r), 0) AS revenue_minor,
       count(*) FILTER (WHERE o > 0 AND mp > 0) AS upsold
  FROM per GROUP BY kind
"""

# Members active within [$1, $2), counted without grouping by member (migration 0015): a
# member's first activity day in the period is the one row whose previous activity day is
# before it. Earners and redeemers alike; engaged members (both) by inclusion-exclusion.
# _ACTIVE_FROM_DAYS sums the day counters and counts only the rows from the period's end on
# (none for a period that ends today); _ACTIVE_ROWS counts the period's own rows, for a
# period that ended long ago.
_FIRST_DAYS = """
SELECT count(*) FILTER (WHERE prev_active IS NULL OR prev_active < $1) AS active,
       count(*) FILTER (WHERE earns > 0 AND (prev_earn IS NULL OR prev_earn < $1)) AS earners,
       count(*) FILTER (WHERE redeems > 0 AND (prev_redeem IS NULL OR prev_redeem < $1))
           AS redeemers
  FROM customer_days
 WHERE kind = 'M' AND (earns > 0 OR redeems > 0) AND {days}
"""
_ACTIVE_ROWS = _FIRST_DAYS.format(days="day >= $1 AND day < $2")
_ACTIVE_FROM_DAYS = f"""
WITH since AS (
    SELECT coalesce(sum(act_first), 0)
             + coalesce(sum(act_prev - act_days) FILTER (WHERE day < $1), 0) AS active,
           coalesce(sum(earn_first), 0)
             + coalesce(sum(earn_prev - earn_days) FILTER (WHERE day < $1), 0) AS earners,
           coalesce(sum(redeem_first), 0)
             + coalesce(sum(redeem_prev - redeem_days) FILTER (WHERE day < $1), 0) AS redeemers
      FROM analytics_days),
after AS ({_FIRST_DAYS.format(days="day >= $2")})
SELECT since.active - after.active AS active, since.earners - after.earners AS earners,
       since.redeemers - after.redeemers AS redeemers
  FROM since, after
"""

# Per bucket: the day rollup's sums. Active members of a whole bucket (from $4 on) are the
# sum of its days' first activity days in that week or month (or all of a day's); the first
# bucket, when the period starts inside it, counts its rows whose previous activity day is
# before the period.
_SERIES = """
WITH head AS (
    SELECT count(*) AS active FROM customer_days
     WHERE kind = 'M' AND day >= $1 AND day < least($4::date, $2) AND (earns > 0 OR redeems > 0)
       AND (prev_active IS NULL OR prev_active < $1))
SELECT date_trunc($3, day::timestamp)::date AS b, sum(new_members) AS new_members,
       coalesce(sum(CASE $3 WHEN 'day' THEN act_days WHEN 'week' THEN act_week_first
                    ELSE act_month_first END) FILTER (WHERE day >= $4), 0)
         + CASE WHEN bool_or(day < $4) THEN (SELECT active FROM head) ELSE 0 END AS active,
       sum(member_orders + guest_orders) AS orders,
       sum(member_revenue_minor) AS member_revenue_minor,
       sum(guest_revenue_minor) AS guest_revenue_minor,
       sum(points_earned) AS points_earned, sum(points_redeemed) AS points_redeemed
  FROM analytics_days WHERE day >= $1 AND day < $2
 GROUP BY 1 ORDER BY 1
"""

_REFERRALS = """
SELECT (SELECT count(*) FROM referrals WHERE created_at >= $1 AND created_at < $2) AS sent,
       (SELECT count(*) FROM referrals
         WHERE status = 'REWARDED' AND rewarded_at >= $1 AND rewarded_at < $2) AS converted,
       (SELECT coalesce(sum(c.revenue_minor), 0)
          FROM customer_days c JOIN referrals r ON c.customer = r.referee_id
         WHERE c.kind = 'M' AND r.status = 'REWARDED' AND c.day >= $3 AND c.day < $4)
           AS revenue_minor
"""


_WORK_MEM = "64MB"
_TOTALS = ("buyers", "repeat_buyers", "orders", "revenue_minor", "upsold", "active", "engaged")


def _totals(row: Mapping[str, Any]) -> CustomerTotals:
    return CustomerTotals(**{k: int(row.get(k, 0)) for k in _TOTALS})


def customer_period(
    rows: Iterable[asyncpg.Record], members_active: Mapping[str, int] | None = None
) -> CustomerPeriod:
    """Rows per kind of customer ('M', 'G') with the totals and the members' retention
    cohort; `members_active` adds the members' activity counts read apart."""
    by_kind = {r["kind"]: dict(r) for r in rows}
    members = by_kind.get("M", {}) | dict(members_active or {})
    return CustomerPeriod(
        members=_totals(members),
        guests=_totals(by_kind.get("G", {})),
        retention=Retention(members.get("cohort", 0), members.get("retained", 0)),
    )


def buckets(rows: Iterable[asyncpg.Record]) -> list[Bucket]:
    return [
        Bucket(
            start=r["b"],
            new_members=int(r["new_members"]),
            active_members=int(r["active"]),
            orders=int(r["orders"]),
            revenue_minor=int(r["member_revenue_minor"]) + int(r["guest_revenue_minor"]),
            points_earned=int(r["points_earned"]),
            points_redeemed=int(r["points_redeemed"]),
            member_revenue_minor=int(r["member_revenue_minor"]),
            guest_revenue_minor=int(r["guest_revenue_minor"]),
        )
        for r in rows
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class PgAnalyticsRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        self._roomy = False

    async def _make_room(self) -> None:
        """Lets this transaction group a period's customers in memory: at the default
        work_mem a year of a large tenant spills to disk and takes twice as long."""
        if not self._roomy:
            await self._conn.execute("SELECT set_config('work_mem', $1, true)", _WORK_MEM)
            self._roomy = True

    async def days(self, start: date, end: date) -> DayTotals:
        row = await self._conn.fetchrow(_DAYS, start, end)
        return DayTotals(**{k: int(v) for k, v in dict(row).items()}) if row else DayTotals()

    async def customers(self, cohort_start: date, start: date, end: date) -> CustomerPeriod:
        await self._make_room()
        buyers = await self._conn.fetch(_BUYERS, cohort_start, start, end)
        last = await self._conn.fetchval("SELECT max(day) FROM analytics_days")
        # Whichever reads fewer rows: those after the period, or the period's own.
        after = last is None or (last - end) < (end - start)
        active = await self._conn.fetchrow(_ACTIVE_FROM_DAYS if after else _ACTIVE_ROWS, start, end)
        assert active is not None
        # |earned or redeemed| = |earned| + |redeemed| - |both|
        engaged = active["earners"] + active["redeemers"] - active["active"]
        return customer_period(buyers, {"active": active["active"], "engaged": engaged})

    async def series(self, start: date, end: date, interval: Interval) -> list[Bucket]:
        whole_from = first_whole_bucket(start, interval)
        unit = interval.value.lower()
        return buckets(await self._conn.fetch(_SERIES, start, end, unit, whole_from))

    async def tier_counts(self) -> list[TierCount]:
        rows = await self._conn.fetch(
            "SELECT tier_id, count(*) AS members FROM member_tiers"
            " WHERE tier_id IS NOT NULL GROUP BY tier_id"
        )
        return [TierCount(r["tier_id"], r["members"]) for r in rows]

    async def referrals(self, start: date, end: date) -> ReferralTotals:
        row = await self._conn.fetchrow(_REFERRALS, _midnight(start), _midnight(end), start, end)
        assert row is not None
        return ReferralTotals(row["sent"], row["converted"], int(row["revenue_minor"]))

    async def settings(self) -> AnalyticsSettings:
        row = await self._conn.fetchrow(
            "SELECT gross_margin, monthly_cost_minor FROM analytics_settings"
        )
        if row is None:
            return AnalyticsSettings()
        return AnalyticsSettings(row["gross_margin"], row["monthly_cost_minor"])

    async def save_settings(self, settings: AnalyticsSettings) -> None:
        await self._conn.execute(
            "UPDATE analytics_settings SET gross_margin = $1, monthly_cost_minor = $2,"
            " updated_at = now()",
            settings.gross_margin,
            settings.monthly_cost_minor,
        )
