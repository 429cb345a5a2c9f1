"""The load benchmark: GraphQL against bare-endpoint floors, in one server process, one run.

    bench/run [--quick] [--duration S] [--concurrency N] [--client python|wrk] [--only NAME ...]
    bench/run --profile [status.me]     # py-spy over the server while one scenario runs

Starts uvicorn (one worker, production settings, a fresh secret key) on a throwaway database,
seeds a tenant through the application's own code, then for each scenario: a warm-up, a
measured window, from a separate load-generator process over loopback. Prints the table
and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.services import Services
from api.settings import Settings
from bench import wrk
from bench.engine_choice import add_engine_option
from bench.gc_pauses import tail_in_pauses
from bench.report import compare, markdown, table, tails
from bench.scenarios import FLOOR_OF, Scenario, scenarios
from bench.seed import BENCH_RATE_LIMIT, SPREAD_MEMBERS, Fixture, seed
from bench.server import ROOT, Server
from bench.servers import (
    Servers,
    create_database,
    delete_tenant_keys,
    drop_database,
    find_servers,
    free_port,
)

RESULTS = ROOT / "bench" / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds (default 2, 1)")
    p.add_argument("--quick", action="store_true", help="3 s per scenario, 1 s warm-up")
    p.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--history-entries", type=int, default=20, help="entries per history member")
    p.add_argument(
        "--spread-members",
        type=int,
        default=SPREAD_MEMBERS,
        help="members the spread status reads go over (0: no spread scenarios)",
    )
    p.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="load generator: raw asyncio (default) or wrk when installed",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these scenarios")
    p.add_argument(
        "--profile",
        nargs="?",
        const="status.me",
        metavar="SCENARIO",
        help="record the server with py-spy while SCENARIO runs (default status.me)",
    )
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    add_engine_option(p)
    args = p.parse_args(argv)
    if args.quick:
        args.duration = 3.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    if not 1 <= args.concurrency <= 1024 or not 0 < args.duration <= 600:
        p.error("concurrency must be 1..1024 and duration 0..600 s")
    if args.client == "wrk" and shutil.which("wrk") is None:
        p.error("wrk is not installed (apt-get install wrk), use --client python")
    return args


def _pool_max() -> int:
    return Settings(_env_file=None).db_pool_max  # type: ignore[call-arg]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def _seed(url: str, servers: Servers, secret: str, args: argparse.Namespace) -> Fixture:
    settings = Settings(
        environment="production", database_url=url, redis_url=servers.redis, secret_key=secret
    )
    services = await Services.start(settings)
    try:
        return await seed(
            services,
            members=args.members,
            history_entries=args.history_entries,
            spread_members=args.spread_members,
        )
    finally:
        await services.close()


async def _cleanup(servers: Servers, db_name: str | None, tenant_ids: list[str]) -> None:
    if tenant_ids:
        await delete_tenant_keys(servers.redis, tenant_ids)
    if db_name:
        await drop_database(servers.postgres_admin, db_name)


def smoke(server: Server, scenario: Scenario) -> str | None:
    """One request by hand: a wrong answer shows its body here, not only as an error count."""
    template = scenario.templates[0]
    body = template["body"].replace("@@IDEMPOTENCY-KEY-PLACEHOLDER@@@", secrets.token_hex(16))
    status, raw = server.post(template["path"], body, template["headers"])
    text = raw.decode(errors="replace")
    if status != 200 or '"errors":[{' in text or scenario.expect not in text:
        return f"HTTP {status}: {text[:600]}"
    return None


def run_python(server: Server, scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    spec = {
        "host": server.host,
        "port": server.port,
        "duration": args.duration,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "templates": scenario.templates,
        "expect": scenario.expect,
        "server_pid": server.pid,
        # A spread read's first request for a member is the one the server is least likely
        # to have seen lately: its latencies are reported apart.
        "split_first": scenario.group == "spread",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(spec).encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=args.duration + args.warmup + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def busy_cores(seconds: float = 0.5) -> float:
    """Cores busy machine-wide over a short sample (from /proc/stat); 0 where unreadable."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    try:
        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    share = (busy1 - busy0) / max(1, total1 - total0)
    return round(share * (os.cpu_count() or 1), 2)


def run_scenario(server: Server, scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    # With our server idle, whatever keeps the machine busy now is someone else's load, and
    # it will be in the numbers: recorded per scenario, flagged in the table.
    background = busy_cores()
    if args.client == "wrk":
        result = wrk.run(server, scenario, args)
    else:
        result = run_python(server, scenario, args)
    result["background_busy_cores"] = background
    status, body = server.post("/floor/gc", "{}", {})
    if status == 200:
        result |= tail_in_pauses(result, json.loads(body)["pauses"])
    result.pop("slowest", None)
    return result


def server_env(env: dict[str, str], workers: int) -> dict[str, str]:
    """The server's environment for `workers` processes."""
    if workers == 1 or "LOYALTY_DB_POOL_MAX" in os.environ:
        return env
    # The same PostgreSQL connections in all, shared between the workers: a busy member's
    # requests then queue on its lock over as many connections as with one.
    return {**env, "LOYALTY_DB_POOL_MAX": str(max(2, _pool_max() // workers))}


def last_before_others(chosen: list[Scenario], workers: int) -> list[Scenario]:
    """`chosen`, with the scenarios that a scenario on another server is compared with (and
    their own floors) moved to the end of their server's turn: the two are then measured
    as close together in time as two servers allow."""
    elsewhere = [s.name for s in chosen if (s.workers or workers) != workers]
    wanted: set[str] = set()
    for name in elsewhere:
        while name in FLOOR_OF and FLOOR_OF[name] not in wanted:
            name = FLOOR_OF[name]
            wanted.add(name)
    return [s for s in chosen if s.name not in wanted] + [s for s in chosen if s.name in wanted]


def run_all(
    server: Server,
    chosen: list[Scenario],
    args: argparse.Namespace,
    results: dict[str, dict[str, Any]],
) -> None:
    for s in chosen:
        results[s.name] = run_scenario(server, s, args)
        r = results[s.name]
        busy = r["background_busy_cores"]
        print(
            f"  {s.name:<16} {r['rps']:>9.1f} req/s  p50 {r['p50_ms']:.2f} ms"
            f"  p99 {r['p99_ms']:.2f} ms  errors {r['errors']}"
            + (f"  (other load: {busy:.2f} cores busy before)" if busy > 0.2 else ""),
            flush=True,
        )
        for sample in r.get("error_samples", [])[:2]:
            print(f"      e.g. {sample}", flush=True)


def server_memory(pid: int) -> dict[str, int]:
    """The server process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return found


def profile(server: Server, scenario: Scenario, args: argparse.Namespace) -> None:
    from bench.profile import record_and_summarise

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    record_and_summarise(spy, server, scenario, args, RESULTS)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    servers = asyncio.run(find_servers())
    secret = secrets.token_urlsafe(48)
    print(f"servers: {servers.origin} (postgres {servers.postgres_admin}, redis {servers.redis})")
    load1 = os.getloadavg()[0]
    if load1 > 0.5:
        print(f"note: load average {load1:.2f} before start: other work will skew the numbers")
    db_name: str | None = None
    fixture: Fixture | None = None
    try:
        started = time.monotonic()
        db_name, db_url = asyncio.run(create_database(servers.postgres_admin))
        fixture = asyncio.run(_seed(db_url, servers, secret, args))
        print(
            f"seeded tenant {fixture.slug}: {fixture.members} members, {fixture.entries} ledger"
            f" entries in {time.monotonic() - started:.1f}s (database {db_name})"
        )
        env = {
            **os.environ,
            "LOYALTY_ENVIRONMENT": "production",
            "LOYALTY_SECRET_KEY": secret,
            "LOYALTY_DATABASE_URL": db_url,
            "LOYALTY_REDIS_URL": servers.redis,
            "LOYALTY_ENGINE": args.engine,
            # The load is one key's: a budget it never spends, so the limiter's cost is
            # measured without refusing anything.
            "LOYALTY_RATE_LIMIT_PER_MINUTE": str(BENCH_RATE_LIMIT),
        }
        env.pop("LOYALTY_DATA_DIR", None)
        all_scenarios = scenarios(fixture)
        chosen = all_scenarios
        if args.profile:
            chosen = [s for s in all_scenarios if s.name == args.profile]
        elif args.only:
            wanted = set(args.only)
            wanted |= {FLOOR_OF[n] for n in wanted if n in FLOOR_OF}
            chosen = [s for s in all_scenarios if s.name in wanted]
        if not chosen:
            names = ", ".join(s.name for s in all_scenarios)
            raise SystemExit(f"no such scenario; choose from: {names}")
        # The run's own server first; then one per other number of workers a scenario asks
        # for, started after the first has stopped, so they never hold connections at once.
        by_workers: dict[int, list[Scenario]] = {}
        for s in last_before_others(chosen, args.workers):
            by_workers.setdefault(s.workers or args.workers, []).append(s)
        print(
            f"{args.duration:g} s per scenario after {args.warmup:g} s warm-up,"
            f" {args.concurrency} connections, client {args.client}, engine {args.engine},"
            f" {args.workers} worker(s)\n"
        )
        results: dict[str, dict[str, Any]] = {}
        memory: dict[str, int] = {}
        for workers in [args.workers, *sorted(set(by_workers) - {args.workers})]:
            if workers not in by_workers:
                continue
            with Server(server_env(env, workers), free_port(), workers=workers) as server:
                for s in by_workers[workers]:
                    problem = smoke(server, s)
                    if problem:
                        print(f"WARNING {s.name} answers wrongly: {problem}", file=sys.stderr)
                        print(f"server log:\n{server.log_tail(25)}", file=sys.stderr)
                if args.profile:
                    profile(server, chosen[0], args)
                    return 0
                if workers != args.workers:
                    print(f"  ({workers} workers)")
                    # A server started now has cold processes (connections to open, caches
                    # and prepared statements per worker) against one warmed by every
                    # scenario before: each scenario runs once unmeasured first.
                    for s in by_workers[workers]:
                        run_scenario(server, s, args)
                run_all(server, by_workers[workers], args, results)
                if workers == args.workers:
                    memory = server_memory(server.pid)
        comparisons = compare(chosen, results)
        print()
        print(table(chosen, results, comparisons))
        print()
        print(tails(chosen, results))
        print(
            f"\nserver memory after the run: RSS {memory.get('VmRSS', 0) / 1024:.0f} MiB,"
            f" peak {memory.get('VmHWM', 0) / 1024:.0f} MiB"
        )
        disturbed = [n for n, r in results.items() if r["background_busy_cores"] > 0.2]
        if disturbed:
            print(
                "\nnote: other processes kept the machine busy before "
                + ", ".join(disturbed)
                + ": those numbers are low; run again on a quiet machine"
            )
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "bench/run " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": machine() | {"loadavg_before": round(load1, 2)},
            "servers": servers.origin,
            "settings": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "concurrency": args.concurrency,
                "client": args.client,
                "engine": args.engine,
                "server": f"uvicorn, {args.workers} worker(s), LOYALTY_ENVIRONMENT=production,"
                " no access log",
                "workers": args.workers,
                "db_pool_max": int(
                    server_env(env, args.workers).get("LOYALTY_DB_POOL_MAX", _pool_max())
                ),
            },
            "fixture": {"members": fixture.members, "ledger_entries": fixture.entries},
            "results": results,
            "server_memory_kib": memory,
            "comparisons": comparisons,
            "markdown": markdown(chosen, results, comparisons),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(
            f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
        )
        return 0
    finally:
        asyncio.run(_cleanup(servers, db_name, [fixture.tenant_id] if fixture else []))


if __name__ == "__main__":
    sys.exit(main())
