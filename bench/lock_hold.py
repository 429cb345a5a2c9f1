"""How long one member's balance lock is held, for a member with 10 lots against 100,000.

    .venv/bin/python -m bench.lock_hold [--sizes 10,1000,10000,100000] [--runs 5] [--n 200]

A scratch database, one tenant, one member per size, each given its lots by one
INSERT ... SELECT generate_series straight into the tenant schema (an ADJUST of +1 with its
lot, expiring 30 days on and later, the balance row set to their sum), with autovacuum off
on the ledger's tables. The tables are analysed once, when only the 10-lot member is loaded:
every other member is measured on stale statistics, as after a bulk import. Then, members
interleaved, the locked transaction of an adjustment is timed from BEGIN to COMMIT: the
lock and what is due (domain.wallet.LockedWallet.open), one entry (+1 credit, or -1 spend
of the soonest-expiring lot), the balance saved. Prints, per size, the minimum over runs of
each run's median, and its ratio to the 10-lot member. Target: every ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from uuid import UUID

from api.services import Services
from api.settings import Settings
from bench.servers import create_database, delete_tenant_keys, drop_database, find_servers
from domain.enrolment import enroll
from domain.ledger import DEFAULT_WALLET, EntryKind
from domain.members import draft
from domain.wallet import LockedWallet
from persistence import migrator
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant

TARGET = 1.5
_TABLES = ("lots", "balances", "ledger_entries", "lot_draws")
_BULK = """
WITH e AS (
    INSERT INTO ledger_entries
        (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
         reason, actor, created_at)
    SELECT $1, $2, 'ADJUST', 1, 0, 1, 'bulk', 'bench', now()
    FROM generate_series(1, $3)
    RETURNING id
), numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM e)
INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at, expires_at)
SELECT $1, $2, id, 1, 1, now(), now() + interval '30 days' + make_interval(secs => g)
FROM numbered
"""
_SET_BALANCE = """
INSERT INTO balances (member_id, wallet, available, pending, lifetime, version)
SELECT $1, $2, sum(available_delta), sum(pending_delta), sum(lifetime_delta), count(*)
FROM ledger_entries WHERE member_id = $1 AND wallet = $2
ON CONFLICT (member_id, wallet) DO UPDATE SET available = EXCLUDED.available,
    pending = EXCLUDED.pending, lifetime = EXCLUDED.lifetime, version = EXCLUDED.version
"""


async def run(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_lock_hold")
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
                services.pool, migrator=migrator, slug="lock-hold", name="Lock hold"
            )
            tenant_id = str(tenant.id)
            uow = PgUnitOfWorkFactory(services.pool, tenant.schema_name)
            members: dict[int, UUID] = {}
            async with services.pool.acquire() as conn:
                await conn.execute(
                    "SELECT set_config('search_path', $1, false)", tenant.schema_name
                )
                for table in _TABLES:
                    await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
                for n, size in enumerate(sorted(sizes)):
                    today = services.clock.now().date()
                    member = await enroll(
                        uow,
                        services.clock,
                        draft(
                            external_id=f"m{size}",
                            email=None,
                            name=None,
                            birthday=None,
                            today=today,
                        ),
                    )
                    started = time.monotonic()
                    await conn.execute(_BULK, member.id, DEFAULT_WALLET, size)
                    await conn.execute(_SET_BALANCE, member.id, DEFAULT_WALLET)
                    print(f"loaded {size:>7,} lots in {time.monotonic() - started:5.1f}s")
                    members[size] = member.id
                    if n == 0:  # statistics of the smallest member only: stale for the rest
                        for table in _TABLES:
                            await conn.execute(f"ANALYZE {table}")
                await conn.execute("RESET search_path")
            results = await measure(services, uow, members, args.runs, args.n)
        finally:
            await services.close()
    finally:
        if tenant_id:
            await delete_tenant_keys(servers.redis, [tenant_id])
        await drop_database(servers.postgres_admin, db_name)
    return report(results, sizes)


async def _locked(services: Services, uow: PgUnitOfWorkFactory, member: UUID, points: int) -> float:
    """One adjustment's locked transaction, BEGIN to COMMIT, in milliseconds."""
    now = services.clock.now()
    t0 = time.perf_counter()
    async with uow() as unit:
        wallet = await LockedWallet.open(unit.ledger, member, DEFAULT_WALLET, now)
        if points > 0:
            await wallet.credit(
                points, kind=EntryKind.ADJUST, available_at=now, expires_at=None, actor="bench"
            )
        else:
            await wallet.spend(-points, kind=EntryKind.ADJUST, actor="bench")
        await wallet.save()
    return (time.perf_counter() - t0) * 1000


async def measure(
    services: Services, uow: PgUnitOfWorkFactory, members: dict[int, UUID], runs: int, n: int
) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for name, points in (("adjust +1 (credit)", 1), ("adjust -1 (spend)", -1)):
        for _ in range(20):  # warm-up: prepared statements, next due times recounted
            for member in members.values():
                await _locked(services, uow, member, points)
        best: dict[int, float] = {}
        for _ in range(runs):
            timings: dict[int, list[float]] = {size: [] for size in members}
            for _ in range(n):
                for size, member in members.items():
                    timings[size].append(await _locked(services, uow, member, points))
            for size, values in timings.items():
                median = statistics.median(values)
                best[size] = min(best.get(size, median), median)
        out[name] = best
    return out


def report(results: dict[str, dict[int, float]], sizes: list[int]) -> int:
    ok = True
    base = min(sizes)
    print(f"\nlocked transaction, min over runs of the median (ms); ratio to {base} lots")
    print(f"{'':<20}" + "".join(f"{f'{s:,} lots':>20}" for s in sorted(sizes)))
    for name, best in results.items():
        cells = []
        for size in sorted(sizes):
            ratio = best[size] / best[base]
            ok &= ratio <= TARGET
            cells.append(f"{best[size]:>8.3f} ({ratio:>4.2f}x)")
        print(f"{name:<20}" + "".join(f"{c:>20}" for c in cells))
    print(f"\ntarget: every ratio <= {TARGET}: {'PASS' if ok else 'BELOW'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.lock_hold", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,1000,10000,100000")
    p.add_argument("--runs", type=int, default=5, help="runs; the minimum of their medians")
    p.add_argument("--n", type=int, default=200, help="timed transactions per member per run")
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
