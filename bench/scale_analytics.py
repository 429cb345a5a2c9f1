"""Does the analytics query stay fast on a large tenant, and what do the rollups cost a write?

    .venv/bin/python -m bench.scale_analytics [--members 100000] [--orders 200000]
        [--entries 1000000] [--reads 20] [--writes 300]

One tenant, loaded straight in SQL (generate_series) over the two years before today:
members; orders by members, by guests with a guestId and by anonymous guests, some refunded
in part; ledger entries (earnings, redemptions, adjustments). The rollup triggers are off
during the load and the rollups are then built set-wise by `analytics_rebuild()`, the same
function migrations 0010 and 0015 run on existing tenants. Then:

1. the `analytics` query (every KPI and a series) through the whole app (ASGI, secret
   key) over the last 30, 90, 365 and 731 days: min and p50 of `--reads` runs each;
2. the per-customer reads (customers, a monthly series) of the fast path and of the plain
   path (grouping by customer), alternately, over the same periods: p50 of each and the
   ratio, after checking that both give the same numbers;
3. the cost of the rollups on the write path: `recordOrder`'s use case for a member of the
   loaded history (each order its member's first activity of the day), alternately with
   the rollup triggers on and off, `--writes` times each: p50 of both.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.auth.keys import display_prefix, hash_key, new_key
from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from bench.servers import create_database, delete_tenant_keys, drop_database, find_servers
from domain.earning import Order, OrderLine
from domain.orders import record_order
from domain.program import Channel
from domain.records.analytics import Interval
from persistence import migrator
from persistence.repositories.analytics import PgAnalyticsRepository
from persistence.repositories.analytics_plain import PgPlainAnalyticsRepository
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant

DAYS = 730
TRIGGERS = (
    ("orders", "orders_analytics"),
    ("ledger_entries", "ledger_entries_analytics"),
    ("members", "members_analytics"),
)

_MEMBERS = """
INSERT INTO members (id, external_id, referral_code, enrolled_at)
SELECT gen_random_uuid(), 'm' || g, 'R' || g,
       now() - ($2 - g * $2 / $1) * interval '1 day' - (g % 86400) * interval '1 second'
  FROM generate_series(1, $1::bigint) AS g
"""
# Seven in ten orders by a member, two by a guest with a guestId (a pool of 50,000), one
# anonymous; one in twenty refunded in part; one in four with two products.
_ORDERS = """
INSERT INTO orders (order_id, member_id, guest_id, currency, channel, placed_at, paid_minor,
                    refunded_minor, body, fingerprint, config_version, earned_points,
                    created_at, updated_at)
SELECT 'o' || g, m.id,
       CASE WHEN g % 10 IN (7, 8) THEN 'guest-' || (g * 31 % 50000) END,
       'USD', 'WEB', t, p, CASE WHEN g % 20 = 0 THEN p / 2 ELSE 0 END,
       jsonb_build_object('lines', CASE WHEN g % 4 = 0
           THEN jsonb_build_array(jsonb_build_object('sku', 'a'), jsonb_build_object('sku', 'b'))
           ELSE jsonb_build_array(jsonb_build_object('sku', 'a')) END),
       'bench', 1, CASE WHEN g % 10 < 7 THEN p / 100 ELSE 0 END, t, t
  FROM (SELECT g,
               now() - ($3 - g * $3 / $1) * interval '1 day' - (g % 86400) * interval '1 second'
                 AS t,
               1000 + (g * 7919) % 20000 AS p
          FROM generate_series(1, $1::bigint) AS g) o
  LEFT JOIN members m ON g % 10 < 7 AND m.seq = 1 + (g * 7919) % $2
"""
# Earnings, one in five a redemption, one in twenty an adjustment.
_ENTRIES = """
INSERT INTO ledger_entries (member_id, wallet, kind, available_delta, pending_delta,
                            lifetime_delta, reason, actor, created_at)
SELECT m.id, 'points', k, d, 0, CASE WHEN k = 'REDEEM' THEN 0 ELSE d END, 'bench', 'bench', t
  FROM (SELECT g,
               now() - ($3 - g * $3 / $1) * interval '1 day' - (g % 86400) * interval '1 second'
                 AS t,
               CASE WHEN g % 5 = 0 THEN 'REDEEM' WHEN g % 20 = 1 THEN 'ADJUST' ELSE 'EARN' END
                 AS k,
               CASE WHEN g % 5 = 0 THEN -100 ELSE 10 + g % 200 END AS d
          FROM generate_series(1, $1::bigint) AS g) e
  JOIN members m ON m.seq = 1 + (g * 104729) % $2
"""
QUERY = """
query Analytics($from: DateTime!, $to: DateTime!) {
  analytics(from: $from, to: $to, interval: MONTH) {
    members { total new active } activeEngagementRate repeatPurchaseRate { members guests }
    averageOrderValue { members { amount } guests { amount } }
    purchaseFrequency { members guests } monetaryBonus customerLifetimeValue { amount }
    retentionRate churnRate upsellRatio redemptionRate
    pointsLiability { points value { amount } } roi
    tiers { tier { name } members } referrals { sent converted revenue { amount } }
    series { start members activeMembers orders revenue { amount } pointsEarned pointsRedeemed }
  }
}
"""


async def load(services: Services, schema: str, args: argparse.Namespace) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        for table, trigger in TRIGGERS:
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        for label, sql, params in (
            ("members", _MEMBERS, (args.members, DAYS)),
            ("orders", _ORDERS, (args.orders, args.members, DAYS)),
            ("ledger entries", _ENTRIES, (args.entries, args.members, DAYS)),
        ):
            started = time.monotonic()
            await conn.execute(sql, *params)
            print(f"  {label}: {time.monotonic() - started:.1f}s")
        for table, trigger in TRIGGERS:
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        started = time.monotonic()
        await conn.execute("SELECT analytics_rebuild()")
        print(f"  rollups rebuilt: {time.monotonic() - started:.1f}s")
        sizes = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM analytics_days) AS days,"
            " (SELECT count(*) FROM customer_days) AS customer_days"
        )
        print(f"  rollup rows: {sizes['days']:,} days, {sizes['customer_days']:,} customer-days")
    # What autovacuum does after a bulk load: statistics, and the visibility map that lets
    # the period's order rows be read from their index alone.
    async with services.pool.acquire() as conn:
        for table in ("members", "orders", "ledger_entries", "analytics_days", "customer_days"):
            await conn.execute(f'VACUUM ANALYZE "{schema}".{table}')


async def time_queries(
    services: Services, key: str, reads: int
) -> dict[str, tuple[float, float, Any]]:
    transport = httpx.ASGITransport(app=create_app(services=services))
    out: dict[str, tuple[float, float, Any]] = {}
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for days in (30, 90, 365, 731):
            variables = {
                "from": (now - timedelta(days=days - 1)).isoformat(),
                "to": (now + timedelta(days=1)).isoformat(),
            }
            timings, body = [], None
            for _ in range(reads + 2):
                t0 = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={"query": QUERY, "variables": variables},
                    headers={"Authorization": f"Bearer {key}"},
                )
                timings.append((time.perf_counter() - t0) * 1000)
                body = response.json()
                assert "errors" not in body, body
            timings = timings[2:]  # the first two warm the caches
            out[f"last {days} days"] = (min(timings), statistics.median(timings), body)
    return out


async def time_paths(services: Services, schema: str, reads: int) -> dict[int, tuple[float, float]]:
    """The per-customer reads (customers and a monthly series) of the fast path and of the
    plain one (grouping by customer, as before migration 0015), alternately: p50 of each."""
    out: dict[int, tuple[float, float]] = {}
    end = datetime.now(UTC).date() + timedelta(days=1)
    paths = (PgAnalyticsRepository, PgPlainAnalyticsRepository)
    async with services.pool.acquire() as conn:
        for days in (30, 90, 365, 731):
            start = end - timedelta(days=days)
            timings: dict[type, list[float]] = {path: [] for path in paths}
            answers: dict[type, Any] = {}
            for _ in range(reads):
                for path in paths:
                    async with conn.transaction():
                        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
                        repo = path(conn)
                        t0 = time.perf_counter()
                        answers[path] = (
                            await repo.customers(start - timedelta(days=days), start, end),
                            await repo.series(start, end, Interval.MONTH),
                        )
                        timings[path].append((time.perf_counter() - t0) * 1000)
            assert answers[paths[0]] == answers[paths[1]], days  # the same numbers
            out[days] = (statistics.median(timings[paths[0]]), statistics.median(timings[paths[1]]))
    return out


async def time_writes(
    services: Services, uow: PgUnitOfWorkFactory, tenant: Any, writes: int
) -> tuple[float, float]:
    clock, schema = services.clock, tenant.schema_name
    # A member of the loaded history per order: each order is its member's first activity of
    # the day, the write that links it to the member's previous day (migration 0015).
    async with services.pool.acquire() as conn:
        members = [
            r["id"]
            for r in await conn.fetch(
                f'SELECT id FROM "{schema}".members ORDER BY random() LIMIT $1', writes * 2
            )
        ]
    tenant_cache = services.balances.for_tenant(tenant.id)

    async def triggers(on: bool) -> None:
        async with services.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('search_path', $1, true)", schema)
            for table, trigger in TRIGGERS:
                verb = "ENABLE" if on else "DISABLE"
                await conn.execute(f"ALTER TABLE {table} {verb} TRIGGER {trigger}")

    timings: dict[bool, list[float]] = {True: [], False: []}
    for i in range(writes * 2):
        on = i % 20 < 10  # ten of each in turn: the ALTER between them is not timed
        if i % 10 == 0:
            await triggers(on)
        order = Order(
            order_id=f"w{i}",
            member_id=members[i],
            currency="USD",
            channel=Channel.WEB,
            placed_at=clock.now(),
            lines=(OrderLine("a", 1, 2500), OrderLine("b", 1, 1500)),
        )
        t0 = time.perf_counter()
        await record_order(uow, tenant_cache, clock, order)
        timings[on].append((time.perf_counter() - t0) * 1000)
    await triggers(True)
    return statistics.median(timings[True]), statistics.median(timings[False])


async def run(args: argparse.Namespace) -> int:
    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_analytics")
    tenant_id: str | None = None
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            redis_url=servers.redis,
            secret_key=secrets.token_urlsafe(32),
            rate_limit_per_minute=1_000_000,
        )
        services = await Services.start(settings)
        try:
            tenant = await create_tenant(
                services.pool, migrator=migrator, slug="scale-analytics", name="Scale"
            )
            tenant_id = str(tenant.id)
            key = new_key("SECRET")
            await services.control.add_api_key(
                tenant.id,
                "SECRET",
                "bench",
                display_prefix(key),
                hash_key(key, settings.resolved_secret_key),
            )
            print(
                f"loading {args.members:,} members, {args.orders:,} orders,"
                f" {args.entries:,} ledger entries over {DAYS} days"
            )
            await load(services, tenant.schema_name, args)
            queries = await time_queries(services, key, args.reads)
            paths = await time_paths(services, tenant.schema_name, max(3, args.reads // 4))
            uow = PgUnitOfWorkFactory(services.pool, tenant.schema_name)
            with_rollups, without = await time_writes(services, uow, tenant, args.writes)
        finally:
            await services.close()
    finally:
        if tenant_id:
            await delete_tenant_keys(servers.redis, [tenant_id])
        await drop_database(servers.postgres_admin, db_name)
    # The minimum is what a run costs undisturbed; the median, what it cost on this machine.
    print(f"\n{'analytics query (every KPI + series by month)':<48} {'min':>9} {'p50':>9}")
    for label, (best, p50, _) in queries.items():
        print(f"{label:<48} {best:>6.1f} ms {p50:>6.1f} ms")
    last = queries["last 365 days"][2]["data"]["analytics"]
    print(f"  (last 365 days: members {last['members']}, AOV {last['averageOrderValue']})")
    print(f"\n{'per-customer reads, p50 (customers + series)':<48} {'fast':>9} {'plain':>9}")
    for days, (fast, plain) in paths.items():
        label = f"last {days} days"
        print(f"{label:<48} {fast:>6.1f} ms {plain:>6.1f} ms  x{plain / fast:.1f}")
    print(f"\n{'recordOrder use case, p50':<48} {'rollups on':>12} {'off':>9} {'extra':>9}")
    print(f"{'':<48} {with_rollups:>9.2f} ms {without:>6.2f} ms {with_rollups - without:>+6.2f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.scale_analytics", description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--orders", type=int, default=200_000)
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--reads", type=int, default=20)
    p.add_argument("--writes", type=int, default=300)
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
