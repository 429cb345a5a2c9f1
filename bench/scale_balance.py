"""Does reading a balance cost the same with a long history? Ten entries against a million.

    .venv/bin/python -m bench.scale_balance [--entries 1000000] [--reads 2000]

One tenant, two members: `small` gets 10 entries through the application's adjust_points;
`large` gets N entries inserted by one INSERT ... SELECT generate_series straight into the
tenant schema (each an ADJUST of +1 with its lot), its balance row set to their sum, so the
ledger stays consistent (checked before measuring). Then the balance is read both ways the
app reads it, alternating members: from Redis (domain.points.read_balance, cache hit) and
from PostgreSQL (the cache-miss path: a unit of work and ledger.read_balance). Prints p50
and the ratio large/small. Target: <= 1.2. For context it also times, without judging, a
history page and a deduction (adjustPoints -1, which reads the member's spendable lots).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from typing import Any
from uuid import UUID

from api.services import Services
from api.settings import Settings
from bench.servers import create_database, delete_tenant_keys, drop_database, find_servers
from domain.enrolment import enroll
from domain.ledger import DEFAULT_WALLET
from domain.members import draft
from domain.points import AdjustPoints, adjust_points, read_balance
from persistence import migrator
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant

TARGET = 1.2

_BULK = """
WITH e AS (
    INSERT INTO ledger_entries
        (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
         reason, actor, created_at)
    SELECT $1, $2, 'ADJUST', 1, 0, 1, 'bulk history', 'bench',
           now() - make_interval(secs => $3 - g)
    FROM generate_series(1, $3) AS g
    RETURNING id, created_at
)
INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at)
SELECT $1, $2, id, 1, 1, created_at FROM e
"""
_SET_BALANCE = """
INSERT INTO balances (member_id, wallet, available, pending, lifetime, version)
SELECT $1, $2, COALESCE(sum(available_delta), 0), COALESCE(sum(pending_delta), 0),
       COALESCE(sum(lifetime_delta), 0), count(*)
FROM ledger_entries WHERE member_id = $1 AND wallet = $2
ON CONFLICT (member_id, wallet) DO UPDATE SET available = EXCLUDED.available,
    pending = EXCLUDED.pending, lifetime = EXCLUDED.lifetime, version = EXCLUDED.version
"""
_CHECK = """
SELECT (SELECT count(*) FROM ledger_entries WHERE member_id = $1) AS entries,
       (SELECT sum(available_delta) FROM ledger_entries WHERE member_id = $1) AS summed,
       (SELECT available FROM balances WHERE member_id = $1 AND wallet = $2) AS available,
       (SELECT sum(remaining) FROM lots WHERE member_id = $1 AND wallet = $2) AS in_lots
"""


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> int:
    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_scale")
    tenant_id: str | None = None
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            redis_url=servers.redis,
            secret_key=secrets.token_urlsafe(32),
        )
        services = await Services.start(settings)
        try:
            tenant = await create_tenant(
                services.pool, migrator=migrator, slug="scale-balance", name="Scale"
            )
            tenant_id = str(tenant.id)
            uow = PgUnitOfWorkFactory(services.pool, tenant.schema_name)
            cache = services.balances.for_tenant(tenant.id)
            clock = services.clock
            today = clock.now().date()
            small = await enroll(
                uow,
                clock,
                draft(external_id="small", email=None, name=None, birthday=None, today=today),
            )
            large = await enroll(
                uow,
                clock,
                draft(external_id="large", email=None, name=None, birthday=None, today=today),
            )
            for k in range(10):
                await adjust_points(
                    uow,
                    cache,
                    clock,
                    AdjustPoints(small.id, 1 + k, DEFAULT_WALLET, "visit", None, None, "bench"),
                )
            started = time.monotonic()
            async with services.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('search_path', $1, true)", tenant.schema_name)
                await conn.execute(_BULK, large.id, DEFAULT_WALLET, args.entries)
                await conn.execute(_SET_BALANCE, large.id, DEFAULT_WALLET)
            async with services.pool.acquire() as conn:
                await conn.execute(f'ANALYZE "{tenant.schema_name}".ledger_entries')
                await conn.execute(f'ANALYZE "{tenant.schema_name}".lots')
                await conn.execute(f'ANALYZE "{tenant.schema_name}".balances')
            print(
                f"inserted {args.entries:,} entries and lots in {time.monotonic() - started:.1f}s"
            )
            async with services.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('search_path', $1, true)", tenant.schema_name)
                for member in (small, large):
                    row = await conn.fetchrow(_CHECK, member.id, DEFAULT_WALLET)
                    assert row["summed"] == row["available"] == row["in_lots"], dict(row)
                    print(
                        f"  {member.external_id}: {row['entries']:,} entries,"
                        f" balance {row['available']:,} = sum of entries = sum of lots"
                    )
            results = await measure(
                services, uow, cache, small.id, large.id, args.reads, args.spends
            )
        finally:
            await services.close()
    finally:
        if tenant_id:
            await delete_tenant_keys(servers.redis, [tenant_id])
        await drop_database(servers.postgres_admin, db_name)
    ok = True
    print(
        f"\n{'path':<34} {'10 entries':>12} {f'{args.entries:,} entries':>18} {'ratio':>7}  target"
    )
    for path, (a, b) in results.items():
        ratio = b / a
        judged = path.endswith("(p50)")  # the target is on the median; p99 is shown for context
        ok &= ratio <= TARGET or not judged
        verdict = ("PASS" if ratio <= TARGET else "BELOW") if judged else "(info)"
        print(
            f"{path:<34} {a * 1000:>9.1f} us {b * 1000:>15.1f} us {ratio:>7.2f}"
            f"  {'<= ' + str(TARGET) if judged else '':<7} {verdict}"
        )
    return 0 if ok else 1


async def measure(
    services: Services,
    uow: Any,
    cache: Any,
    small: UUID,
    large: UUID,
    reads: int,
    spends: int,
) -> dict[str, tuple[float, float]]:
    async def cached(member: UUID) -> None:
        await read_balance(uow, cache, member, DEFAULT_WALLET)

    async def uncached(member: UUID) -> None:
        async with uow() as u:
            await u.ledger.read_balance(member, DEFAULT_WALLET)

    out: dict[str, tuple[float, float]] = {}
    for name, fn in (
        ("read_balance, Redis hit (p50)", cached),
        ("read_balance, PostgreSQL (p50)", uncached),
    ):
        timings: dict[UUID, list[float]] = {small: [], large: []}
        for _ in range(50):  # warm-up: prepared statements, cache fill
            await fn(small)
            await fn(large)
        for i in range(reads * 2):
            member = small if i % 2 == 0 else large
            t0 = time.perf_counter()
            await fn(member)
            timings[member].append((time.perf_counter() - t0) * 1000)
        out[name] = (statistics.median(timings[small]), statistics.median(timings[large]))
        out[name.replace("(p50)", "(p99)")] = (_p(timings[small], 0.99), _p(timings[large], 0.99))

    async def history(member: UUID) -> None:
        async with uow() as u:
            await u.ledger.history(member, None, None, 21)

    async def spend(member: UUID) -> None:
        cmd = AdjustPoints(member, -1, DEFAULT_WALLET, "spend", None, None, "bench")
        await adjust_points(uow, cache, services.clock, cmd)

    # Not balance reads, but what else a long history might slow down: shown, not judged.
    for name, fn, n in (
        ("history(first: 20) page (p50)", history, reads),
        ("adjustPoints -1, spend path (p50)", spend, spends),
    ):
        timings = {small: [], large: []}
        for i in range(n * 2):
            member = small if i % 2 == 0 else large
            t0 = time.perf_counter()
            await fn(member)
            timings[member].append((time.perf_counter() - t0) * 1000)
        out[name.replace("(p50)", "[info]")] = (
            statistics.median(timings[small]),
            statistics.median(timings[large]),
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.scale_balance", description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--reads", type=int, default=2000)
    p.add_argument("--spends", type=int, default=3, help="timed deductions per member (info)")
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
