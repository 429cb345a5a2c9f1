"""How provisioning and `loyalty migrate` scale with the number of tenant schemas.

    .venv/bin/python -m bench.scale_tenants [--tenants 1000] [--concurrency 4]

Provisions N tenants with tenants.provisioning.create_tenant (registry row and schema at the
latest version, in one transaction each) in a throwaway database, then runs
tenants.migrate_all.migrate_all over all of them (every schema already current: the cost of
checking), and prints seconds per tenant for both and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import statistics
import sys
import time

from api.services import Services
from api.settings import Settings
from bench.servers import create_database, drop_database, find_servers
from persistence import migrator
from tenants.migrate_all import migrate_all
from tenants.provisioning import create_tenant


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def run(args: argparse.Namespace) -> int:
    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_scale")
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            redis_url=servers.redis,
            secret_key=secrets.token_urlsafe(32),
        )
        services = await Services.start(settings)
        try:
            rss_before = _peak_rss_mib()
            gate = asyncio.Semaphore(args.concurrency)
            each: list[float] = []
            done = 0

            async def provision(i: int) -> None:
                nonlocal done
                async with gate:
                    t0 = time.perf_counter()
                    await create_tenant(
                        services.pool, migrator=migrator, slug=f"scale-{i:05d}", name=f"Shop {i}"
                    )
                    each.append(time.perf_counter() - t0)
                    done += 1
                    if done % max(1, args.tenants // 10) == 0:
                        print(f"  provisioned {done}/{args.tenants}", flush=True)

            started = time.perf_counter()
            await asyncio.gather(*(provision(i) for i in range(args.tenants)))
            provision_s = time.perf_counter() - started
            rss_provisioned = _peak_rss_mib()

            summary = await migrate_all(
                services.pool, migrator=migrator, concurrency=args.concurrency
            )
            rss_migrated = _peak_rss_mib()
            async with services.pool.acquire() as conn:
                relations = await conn.fetchval(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname LIKE 't\\_%'"
                )
                size = await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await services.close()
    finally:
        await drop_database(servers.postgres_admin, db_name)

    n = args.tenants
    print(f"\n{n} tenants, concurrency {args.concurrency}")
    print(
        f"  provision: {provision_s:.1f}s in all, {provision_s / n * 1000:.1f} ms per tenant"
        f" (each create_tenant: p50 {statistics.median(each) * 1000:.1f} ms,"
        f" max {max(each) * 1000:.1f} ms)"
    )
    print(
        f"  migrate_all (all current): {summary.seconds:.2f}s in all,"
        f" {summary.seconds / n * 1000:.2f} ms per tenant;"
        f" {len(summary.current)} current, {len(summary.upgraded)} upgraded,"
        f" {len(summary.failed)} failed"
    )
    print(f"  tenant relations in pg_class: {relations:,}; database size {size / 2**20:.0f} MiB")
    print(
        f"  peak RSS of this process: {rss_before:.0f} MiB before, {rss_provisioned:.0f} MiB"
        f" after provisioning, {rss_migrated:.0f} MiB after migrate_all"
    )
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.scale_tenants", description=__doc__.split("\n\n")[0])
    p.add_argument("--tenants", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=4, help="as `loyalty migrate` (default 4)")
    args = p.parse_args(argv)
    if not 1 <= args.tenants <= 100_000:
        p.error("--tenants must be 1..100000")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
