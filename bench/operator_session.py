"""What checking an operator's session costs each request: the read of its row
(persistence/operator_sessions.py, never cached so that a logout is seen at once by every
replica), against the floor of the same pool's `SELECT 1`.

    .venv/bin/python -m bench.operator_session [--sessions 10000] [--n 2000] [--runs 5]

A scratch database with one operator and `--sessions` live sessions of operators (one in
ten revoked); the session read is timed `--n` times per run, interleaved with the floor.
Prints the minimum over runs of each median, and the ratio. Target: <= 2 (one more indexed
read of a primary key is about one round trip).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.servers import scratch_services

TARGET = 2.0


async def _timed(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def run(args: argparse.Namespace) -> int:
    async with scratch_services("loyalty_bench_sessions") as (servers, services):
        agency = await services.control.create_agency("Bench")
        operators = [
            await services.control.create_operator(f"op{i}@bench.example", "x", None, agency)
            for i in range(10)
        ]
        expires = datetime.now(UTC) + timedelta(hours=12)
        ids = [
            await services.sessions.open(operators[i % 10].id, expires, "bench")
            for i in range(args.sessions)
        ]
        for session_id in ids[::10]:
            await services.sessions.revoke(operators[0].id, session_id)
        await services.pool.execute("ANALYZE control.operator_sessions")
        live, owner = ids[1], operators[1].id

        async def session() -> None:
            assert await services.sessions.holder(live, owner) is not None

        async def floor() -> None:
            await services.pool.fetchval("SELECT 1")

        best_session = best_floor = float("inf")
        for _ in range(args.runs):
            best_floor = min(best_floor, await _timed(floor, args.n))
            best_session = min(best_session, await _timed(session, args.n))
        ratio = best_session / best_floor
        print(f"servers: {servers.origin}; {args.sessions} sessions, {args.n} reads x {args.runs}")
        print(f"floor  SELECT 1        median {best_floor * 1e6:8.1f} us")
        print(f"session row (+touch)   median {best_session * 1e6:8.1f} us")
        print(f"ratio {ratio:.2f} (target <= {TARGET})")
        return 0 if ratio <= TARGET else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
