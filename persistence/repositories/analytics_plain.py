"""The plain path of the per-customer figures: the period's customer-day rows grouped by
customer, as before migration 0015's links. Kept as the reference the fast path
(persistence/repositories/analytics.py) is proven equal to, on random facts and periods
(tests/property/test_analytics_paths.py)."""

from __future__ import annotations

from datetime import date

from domain.records.analytics import Bucket, CustomerPeriod, Interval
from persistence.repositories.analytics import PgAnalyticsRepository, buckets, customer_period

# One pass: each customer's sums within the period, and whether they ordered in the previous
# one (the retention cohort). Of the previous period only order rows are read.
_CUSTOMERS = """
WITH per AS (
    SELECT kind, customer,
           coalesce(sum(orders) FILTER (WHERE day >= $2), 0) AS o,
           coalesce(sum(revenue_minor) FILTER (WHERE day >= $2), 0) AS r,
           coalesce(sum(multi_product_orders) FILTER (WHERE day >= $2), 0) AS mp,
           coalesce(sum(earns) FILTER (WHERE day >= $2), 0) AS e,
           coalesce(sum(redeems) FILTER (WHERE day >= $2), 0) AS rd,
           coalesce(bool_or(orders > 0) FILTER (WHERE day < $2), false) AS before
      FROM customer_days
     WHERE (day >= $2 AND day < $3) OR (day >= $1 AND day < $2 AND orders > 0)
     GROUP BY kind, customer)
SELECT kind,
       count(*) FILTER (WHERE before) AS cohort,
       count(*) FILTER (WHERE before AND o > 0) AS retained,
       count(*) FILTER (WHERE o > 0) AS buyers,
       count(*) FILTER (WHERE o >= 2) AS repeat_buyers,
       coalesce(sum(o) FILTER (WHERE o > 0), 0) AS orders,
       coalesce(sum(r) FILTER (WHERE o > 0), 0) AS revenue_minor,
       count(*) FILTER (WHERE o > 0 AND mp > 0) AS upsold,
       count(*) FILTER (WHERE e > 0 OR rd > 0) AS active,
       count(*) FILTER (WHERE e > 0 AND rd > 0) AS engaged
  FROM per GROUP BY kind
"""

_SERIES = """
WITH d AS (
    SELECT date_trunc($3, day::timestamp)::date AS b, sum(new_members) AS new_members,
           sum(member_orders + guest_orders) AS orders,
           sum(member_revenue_minor) AS member_revenue_minor,
           sum(guest_revenue_minor) AS guest_revenue_minor,
           sum(points_earned) AS points_earned, sum(points_redeemed) AS points_redeemed
      FROM analytics_days WHERE day >= $1 AND day < $2 GROUP BY 1),
-- Distinct members per bucket by grouping twice: hashing (bucket, member) pairs is several
-- times faster than count(DISTINCT), which sorts.
a AS (
    SELECT b, count(*) AS active
      FROM (SELECT date_trunc($3, day::timestamp)::date AS b, customer
              FROM customer_days
             WHERE kind = 'M' AND day >= $1 AND day < $2 AND (earns > 0 OR redeems > 0)
             GROUP BY 1, 2) pairs
     GROUP BY b)
SELECT b, coalesce(new_members, 0) AS new_members, coalesce(active, 0) AS active,
       coalesce(orders, 0) AS orders,
       coalesce(member_revenue_minor, 0) AS member_revenue_minor,
       coalesce(guest_revenue_minor, 0) AS guest_revenue_minor,
       coalesce(points_earned, 0) AS points_earned, coalesce(points_redeemed, 0) AS points_redeemed
  FROM d FULL JOIN a USING (b) ORDER BY b
"""


class PgPlainAnalyticsRepository(PgAnalyticsRepository):
    """The same port, its per-customer figures grouped by customer."""

    async def customers(self, cohort_start: date, start: date, end: date) -> CustomerPeriod:
        await self._make_room()
        return customer_period(await self._conn.fetch(_CUSTOMERS, cohort_start, start, end))

    async def series(self, start: date, end: date, interval: Interval) -> list[Bucket]:
        await self._make_room()
        return buckets(await self._conn.fetch(_SERIES, start, end, interval.value.lower()))
