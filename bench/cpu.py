"""`python -m bench.cpu`: the app's own CPU per request, in process, one request at a time.

The load benchmark (bench/run) shares two cores between the server, PostgreSQL, Redis and
the load generator, so its throughput moves with anything else running. This drives the
same requests as its scenarios (the same seeded tenant, the same bodies, the floors included)
straight into the ASGI app, one after another, and reads this process's CPU time
(time.process_time) around them: what the Python stack costs per request, without HTTP
parsing and without the database's and Redis's own CPU. The scenarios take turns in blocks
(`--rounds`), and each prints its median block and its best: a neighbour on the machine
slows the blocks it overlaps, not one scenario's whole run. Steady enough to compare one
change with the next; the ratios that count are still bench/run's.

    .venv/bin/python -m bench.cpu [--requests 2000] [--rounds 10] [--only status.me …]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from api.services import Services
from api.settings import Settings
from bench.engine_choice import add_engine_option
from bench.floor_app import FLOOR_ROUTES
from bench.scenarios import scenarios
from bench.seed import BENCH_RATE_LIMIT, seed
from bench.servers import create_database, delete_tenant_keys, drop_database, find_servers


async def _call(app: Any, template: dict[str, Any]) -> tuple[int, bytes]:
    body = template["body"].replace("@@IDEMPOTENCY-KEY-PLACEHOLDER@@@", secrets.token_hex(16))
    headers = [(b"content-type", b"application/json"), (b"host", b"bench")]
    headers += [(k.lower().encode(), v.encode()) for k, v in template["headers"].items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": template["path"],
        "raw_path": template["path"].encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "app": app,
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body.encode(), "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _write_profile(profiler: cProfile.Profile, path: Path) -> None:
    """cProfile's table, by own time and by time with callees (deterministic profiling
    slows every call alike, so read the shares, not the absolute times)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(60)
        stats.sort_stats("cumulative").print_stats(80)


async def run(args: argparse.Namespace) -> int:
    from api.http.app import create_app, freeze_startup_objects

    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, "loyalty_bench_cpu")
    tenant_ids: list[str] = []
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            redis_url=servers.redis,
            secret_key=secrets.token_urlsafe(32),
            rate_limit_per_minute=BENCH_RATE_LIMIT,  # measured, never refusing
            engine=args.engine,
        )
        services = await Services.start(settings)
        try:
            fixture = await seed(
                services, members=args.members, history_entries=20, spread_members=0
            )
            tenant_ids.append(fixture.tenant_id)
            app = create_app(services=services)
            app.router.routes.extend(FLOOR_ROUTES)
            if settings.freeze_startup_objects:  # as the app's lifespan does when it serves
                freeze_startup_objects()
            chosen = [s for s in scenarios(fixture) if not args.only or s.name in args.only]
            for scenario in chosen:
                templates = scenario.templates
                for i in range(min(200, args.requests)):  # warm caches and statements
                    await _call(app, templates[i % len(templates)])
                status, raw = await _call(app, templates[0])
                if status != 200 or scenario.expect not in raw.decode():
                    print(f"{scenario.name}: wrong answer {status} {raw[:300]!r}")
                    return 1
            # The scenarios take turns, a block of requests each per round: what the machine's
            # neighbours take varies over seconds, and the best block of each scenario is
            # the one least disturbed.
            block = max(1, args.requests // args.rounds)
            cpus: dict[str, list[float]] = {s.name: [] for s in chosen}
            walls: dict[str, list[float]] = {s.name: [] for s in chosen}
            # one profiler per scenario, switched on for its blocks only; timed by this
            # process's CPU, not the wall clock, which counts the waits a busy machine adds
            # (a socket write that wakes Redis can look like most of a request otherwise)
            profilers = (
                {s.name: cProfile.Profile(time.process_time) for s in chosen}
                if args.profile
                else {}
            )
            for _ in range(args.rounds):
                for scenario in chosen:
                    templates = scenario.templates
                    profiler = profilers.get(scenario.name)
                    cpu, wall = time.process_time(), time.perf_counter()
                    if profiler:
                        profiler.enable()
                    for i in range(block):
                        await _call(app, templates[i % len(templates)])
                    if profiler:
                        profiler.disable()
                    cpus[scenario.name].append((time.process_time() - cpu) / block * 1e6)
                    walls[scenario.name].append((time.perf_counter() - wall) / block * 1e6)
            heading = (
                f"{'scenario':<22} {'app CPU us/req':>15} {'best block':>11} {'wall us/req':>12}"
            )
            print(f"engine {args.engine}\n{heading}")
            for scenario in chosen:
                name = scenario.name
                cpu = statistics.median(cpus[name])
                best, wall = min(cpus[name]), statistics.median(walls[name])
                print(f"{name:<22} {cpu:>15.0f} {best:>11.0f} {wall:>12.0f}", flush=True)
                args.results[name] = cpu
                if name in profilers:
                    _write_profile(profilers[name], Path(args.profile) / f"{name}.txt")
        finally:
            await services.close()
    finally:
        await delete_tenant_keys(servers.redis, tenant_ids)
        await drop_database(servers.postgres_admin, db_name)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument(
        "--rounds", type=int, default=10, help="blocks per scenario, the scenarios taking turns"
    )
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--profile", default="", metavar="DIR", help="write a cProfile table per scenario here"
    )
    add_engine_option(parser)
    args = parser.parse_args(argv)
    args.results = {}
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    code = asyncio.run(run(args))
    if args.out:
        Path(args.out).write_bytes(orjson.dumps(args.results, option=orjson.OPT_INDENT_2))
    return code


if __name__ == "__main__":
    sys.exit(main())
