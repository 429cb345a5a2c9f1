"""How the platform behaves as the number of tenant schemas grows: the curve at 1k, 2.5k, 5k
and 10k tenants on one PostgreSQL.

    .venv/bin/python -m bench.scale_tenants [--steps 1000,2500,5000,10000] [--concurrency 4]
        [--own-postgres [--pg-setting NAME=VALUE ...]]

With --own-postgres the run starts a private PostgreSQL of its own on a free port (in a
temporary folder, removed at the end), so that thousands of schemas never weigh on a shared
server; run it under `nice -n 10` on a machine others use (the server inherits it).

In a throwaway database (dropped at the end), tenants are provisioned step by step with
tenants.provisioning.create_tenant, one migration behind the latest. At each step:

- provisioning: wall time per tenant of that step's new tenants (concurrency as given);
- a real migration: `migrate_all` applies the latest tenant migration (an ALTER TABLE with an
  identity column and four indexes) to the step's new schemas, then checks every schema so
  far (all current: the cost of a `loyalty migrate` that has nothing to do);
- the catalog: rows of pg_class and pg_attribute, and the database's size;
- one API process (`loyalty serve --no-worker`, a real server started once) is sent one
  request per new tenant, so it has served every tenant so far; its RSS is then read;
- per-request cost with many tenants on one pool: the same request, first all for one
  tenant, then for every tenant in turn; requests per second and the server's CPU seconds
  per request for both, and their ratio;
- the same at the SQL level, without the API: one transaction (search path, two statements
  as the orders list runs them) over one pool, for one schema, then for every schema in
  turn. asyncpg keeps each statement prepared per connection whatever the search path;
  PostgreSQL re-analyses and re-plans a prepared statement whenever the search path differs
  from the one it was planned under, so interleaving tenants costs that planning.

Ratios are what to compare; absolute figures move with the machine's other work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.auth.keys import display_prefix, hash_key, new_key
from api.services import Services
from api.settings import Settings
from bench.loadgen import process_cpu_seconds
from bench.servers import create_database, drop_database, find_servers, free_port
from persistence import migrator
from persistence.db import create_pool
from persistence.migrator import TenantsUntil, version_before_latest
from tenants.migrate_all import migrate_all
from tenants.provisioning import create_tenant

ROOT = Path(__file__).resolve().parent.parent
ORDERS = "query Orders { orders(first: 5) { __typename edges { __typename cursor } } }"
# What the orders list runs in a tenant's schema (persistence/repositories/orders.py), in
# the shape that matters here: tables named without their schema, resolved by search path.
SQL_READS = (
    "SELECT o.order_id, o.placed_at, o.seq FROM orders o"
    " ORDER BY o.placed_at DESC, o.seq DESC LIMIT 5",
    "SELECT count(*) FROM refunds r JOIN orders o ON o.order_id = r.order_id"
    " WHERE o.member_id = $1",
)


@dataclass
class Step:
    tenants: int
    provision_ms: float = 0.0
    provision_p50_ms: float = 0.0
    migrate_ms: float = 0.0
    check_all_ms: float = 0.0
    pg_class: int = 0
    pg_attribute: int = 0
    db_mib: float = 0.0
    rss_mib: float = 0.0
    api: dict[str, float] = field(default_factory=dict)
    sql: dict[str, float] = field(default_factory=dict)


class ApiProcess:
    """`loyalty serve --no-worker` on a free port, configured through LOYALTY_* only."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="loyalty-scale-api-", suffix=".log")  # noqa: SIM115
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-worker", "--port", str(self.port)],
            cwd=ROOT,
            env={**inherited, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if (await http.get(f"{self.url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the API process did not start; its log: {self._log.name}")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


async def _requests(http: httpx.AsyncClient, url: str, keys: list[str], clients: int) -> None:
    """One Orders request per key, `clients` at a time; every answer must be data."""
    queue = iter(keys)

    async def client() -> None:
        for key in queue:
            r = await http.post(
                f"{url}/graphql",
                json={"query": ORDERS},
                headers={"Authorization": f"Bearer {key}"},
            )
            body = r.json()
            if r.status_code != 200 or body.get("errors"):
                raise RuntimeError(f"request failed: {r.status_code} {body}")

    await asyncio.gather(*(client() for _ in range(clients)))


async def _timed_api(api: ApiProcess, http: httpx.AsyncClient, keys: list[str]) -> dict[str, float]:
    cpu0, t0 = process_cpu_seconds(api.proc.pid), time.perf_counter()
    await _requests(http, api.url, keys, clients=8)
    seconds, cpu = time.perf_counter() - t0, process_cpu_seconds(api.proc.pid) - cpu0
    return {"rps": len(keys) / seconds, "cpu_ms": cpu / len(keys) * 1000}


async def _timed_sql(pool: asyncpg.Pool, schemas: list[str], rounds: int) -> float:
    """Milliseconds per transaction, four connections at a time, the schemas in turn."""
    queue = iter(schemas[i % len(schemas)] for i in range(rounds))

    async def worker() -> None:
        async with pool.acquire() as conn:
            for schema in queue:
                async with conn.transaction():
                    await conn.execute("SELECT set_config('search_path', $1, true)", schema)
                    await conn.fetch(SQL_READS[0])
                    await conn.fetchval(SQL_READS[1], None)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(4)))
    return (time.perf_counter() - t0) / rounds * 1000


async def _backend_mib(pool: asyncpg.Pool) -> float:
    """The largest memory of the pool's server processes (relation and catalog caches grow
    with every tenant's tables a connection has touched), from PostgreSQL's own accounts."""
    sizes = []
    async with pool.acquire() as a, pool.acquire() as b, pool.acquire() as c, pool.acquire() as d:
        for conn in (a, b, c, d):
            total = await conn.fetchval("SELECT sum(total_bytes) FROM pg_backend_memory_contexts")
            sizes.append(int(total) / 2**20)
    return max(sizes)


async def _catalog(conn: asyncpg.Connection, step: Step) -> None:
    step.pg_class = await conn.fetchval("SELECT count(*) FROM pg_class")
    step.pg_attribute = await conn.fetchval("SELECT count(*) FROM pg_attribute")
    step.db_mib = await conn.fetchval("SELECT pg_database_size(current_database())") / 2**20


async def _provision(
    services: Services, first: int, last: int, concurrency: int, behind: TenantsUntil
) -> tuple[list[Any], list[float]]:
    gate = asyncio.Semaphore(concurrency)
    made: list[Any] = []
    each: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            t0 = time.perf_counter()
            tenant = await create_tenant(
                services.pool, migrator=behind, slug=f"scale-{i:05d}", name=f"Shop {i}"
            )
            each.append(time.perf_counter() - t0)
            made.append(tenant)

    await asyncio.gather(*(one(i) for i in range(first, last)))
    return made, each


async def run(args: argparse.Namespace) -> int:
    servers = await find_servers()
    own = _own_postgres(dict(args.pg_setting)) if args.own_postgres else None
    if own is not None:
        servers = replace(servers, postgres_admin=own.url)
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_scale")
    secret = secrets.token_urlsafe(32)
    settings = Settings(
        environment="production", database_url=url, redis_url=servers.redis, secret_key=secret
    )
    env = {
        "LOYALTY_ENVIRONMENT": "production",
        "LOYALTY_DATABASE_URL": url,
        "LOYALTY_REDIS_URL": servers.redis,
        "LOYALTY_SECRET_KEY": secret,
        "LOYALTY_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    behind = TenantsUntil(version_before_latest("tenant"))
    steps: list[Step] = []
    tenant_ids: list[str] = []
    try:
        services = await Services.start(settings)
        sql_pool = await create_pool(url, min_size=4, max_size=4)
        api: ApiProcess | None = None
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            try:
                api = ApiProcess(env)
                await api.wait_ready(http)
                keys: list[str] = []
                schemas: list[str] = []
                for target in args.steps:
                    step = Step(target)
                    first = len(schemas)
                    t0 = time.perf_counter()
                    made, each = await _provision(services, first, target, args.concurrency, behind)
                    step.provision_ms = (time.perf_counter() - t0) / len(made) * 1000
                    step.provision_p50_ms = statistics.median(each) * 1000
                    new = [t.schema_name for t in made]
                    tenant_ids += [str(t.id) for t in made]
                    upgraded = await migrate_all(
                        services.pool, migrator=migrator, concurrency=args.concurrency, schemas=new
                    )
                    if not upgraded.ok or len(upgraded.upgraded) != len(new):
                        raise RuntimeError(f"migration failed: {upgraded.lines()}")
                    step.migrate_ms = upgraded.seconds / len(new) * 1000
                    schemas += new
                    checked = await migrate_all(
                        services.pool, migrator=migrator, concurrency=args.concurrency
                    )
                    if len(checked.current) != len(schemas):
                        raise RuntimeError(f"check failed: {checked.lines()}")
                    step.check_all_ms = checked.seconds / len(schemas) * 1000
                    for t in made:
                        key = new_key("SECRET")
                        hashed = hash_key(key, secret.encode())
                        await services.control.add_api_key(
                            t.id, "SECRET", "bench", display_prefix(key), hashed
                        )
                        keys.append(key)
                    async with services.pool.acquire() as conn:
                        await _catalog(conn, step)
                    # Every tenant so far served once by the same process, then its RSS.
                    await _requests(http, api.url, keys[first:], clients=8)
                    step.rss_mib = api.rss_mib()
                    n = args.requests
                    one = await _timed_api(api, http, [keys[0]] * n)
                    spread = await _timed_api(api, http, [keys[i % len(keys)] for i in range(n)])
                    step.api = {
                        "one_rps": one["rps"],
                        "one_cpu_ms": one["cpu_ms"],
                        "all_rps": spread["rps"],
                        "all_cpu_ms": spread["cpu_ms"],
                    }
                    step.sql = {
                        "one_ms": await _timed_sql(sql_pool, schemas[:1], n),
                        # Every schema at least once on each connection before it is timed.
                        "warm": await _timed_sql(sql_pool, schemas, len(schemas) * 4),
                        "all_ms": await _timed_sql(sql_pool, schemas, n),
                        "backend_mib": await _backend_mib(sql_pool),
                    }
                    steps.append(step)
                    _print_step(step, args.concurrency)
            finally:
                if api is not None:
                    api.stop()
                await sql_pool.close()
                await services.close()
    finally:
        await drop_database(servers.postgres_admin, db_name)
        if own is not None:
            own.close()
        from bench.servers import delete_tenant_keys

        await delete_tenant_keys(servers.redis, tenant_ids)
    _print_table(steps)
    return 0


def _own_postgres(settings: dict[str, str]) -> Any:
    from tests.support.own_postgres import OwnPostgres

    server = OwnPostgres(settings)
    server.start()
    return server


def _print_step(s: Step, concurrency: int) -> None:
    print(
        f"{s.tenants} tenants (concurrency {concurrency}): provision {s.provision_ms:.1f} ms/tenant"
        f" (p50 each {s.provision_p50_ms:.0f} ms), migration {s.migrate_ms:.1f} ms/tenant,"
        f" check all {s.check_all_ms:.2f} ms/tenant; pg_class {s.pg_class:,},"
        f" pg_attribute {s.pg_attribute:,}, database {s.db_mib:.0f} MiB; API RSS"
        f" {s.rss_mib:.0f} MiB; one tenant {s.api['one_rps']:.0f} req/s"
        f" {s.api['one_cpu_ms']:.2f} ms CPU/req, all in turn {s.api['all_rps']:.0f} req/s"
        f" {s.api['all_cpu_ms']:.2f} ms CPU/req; SQL one {s.sql['one_ms']:.3f} ms,"
        f" all {s.sql['all_ms']:.3f} ms; a server process {s.sql['backend_mib']:.0f} MiB",
        flush=True,
    )


def _print_table(steps: list[Step]) -> None:
    print(
        "\n| tenants | provision ms/tenant | migration ms/tenant | check ms/tenant | pg_class"
        " | database MiB | API RSS MiB | req/s one / all | API CPU ms/req one / all"
        " | SQL ms/tx one / all | server process MiB |"
    )
    print("|" + "---|" * 11)
    for s in steps:
        print(
            f"| {s.tenants:,} | {s.provision_ms:.1f} | {s.migrate_ms:.1f} | {s.check_all_ms:.2f}"
            f" | {s.pg_class:,} | {s.db_mib:.0f} | {s.rss_mib:.0f}"
            f" | {s.api['one_rps']:.0f} / {s.api['all_rps']:.0f}"
            f" ({s.api['all_rps'] / s.api['one_rps']:.2f})"
            f" | {s.api['one_cpu_ms']:.2f} / {s.api['all_cpu_ms']:.2f}"
            f" | {s.sql['one_ms']:.3f} / {s.sql['all_ms']:.3f}"
            f" ({s.sql['all_ms'] / s.sql['one_ms']:.2f}) | {s.sql['backend_mib']:.0f} |"
        )


def _steps(text: str) -> list[int]:
    steps = sorted({int(x) for x in text.split(",") if x.strip()})
    if not steps or steps[0] < 1 or steps[-1] > 100_000:
        raise argparse.ArgumentTypeError("steps must be 1..100000")
    return steps


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError("a setting is NAME=VALUE")
    return name.strip(), value.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.scale_tenants", description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=_steps, default=[1000, 2500, 5000, 10000])
    p.add_argument("--concurrency", type=int, default=4, help="as `loyalty migrate` (default 4)")
    p.add_argument("--requests", type=int, default=2000, help="per timed run (default 2000)")
    p.add_argument(
        "--own-postgres", action="store_true", help="a private PostgreSQL started for the run"
    )
    p.add_argument(
        "--pg-setting",
        type=_setting,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of the private PostgreSQL (repeatable), e.g. shared_buffers=4GB",
    )
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
