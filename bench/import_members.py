"""How fast does `loyalty import members` write members with opening balances?

    .venv/bin/python -m bench.import_members [--rows 100000] [--batch-rows 5000]

A fresh database with one tenant. A CSV file of N members (externalId, email, name,
birthday, points balance, lifetime points, enrolment time) is generated in memory, then:

1. the floor: the same rows, read from the same file, written with one bare COPY into a
   table of the same columns (no checks, no ledger, no indexes but its primary key);
2. the import, as the CLI runs it (api.member_import_runner.run_file): every row checked,
   then members, balances, opening ledger entries, lots and idempotency keys written a batch
   per transaction.

Prints rows/s of both and the import's time over the floor's, checks that the ledger sums
equal the balance rows, and says whether the import met the target of the issue: N = 100,000
in under a minute on this machine (scaled for other N).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time

from api.member_import_runner import run_file
from bench.servers import scratch_tenant
from domain.member_import_files import ImportFile

TARGET_SECONDS_PER_100K = 60.0

_FLOOR_TABLE = """CREATE TABLE import_floor (
    external_id text PRIMARY KEY, email text, name text, birthday date, points bigint,
    lifetime bigint, enrolled_at timestamptz)"""
_CONSISTENT = """
SELECT count(*) FROM balances b
  LEFT JOIN (SELECT member_id, sum(available_delta) AS a, sum(lifetime_delta) AS l
               FROM ledger_entries GROUP BY 1) e USING (member_id)
  LEFT JOIN (SELECT member_id, sum(remaining) AS r FROM lots GROUP BY 1) l USING (member_id)
 WHERE b.available <> coalesce(e.a, 0) OR b.lifetime <> coalesce(e.l, 0)
    OR b.available <> coalesce(l.r, 0)
"""


def make_file(rows: int) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["external_id", "email", "name", "birthday", "points_balance",
                "lifetime_points", "enrolled_at"])  # fmt: skip
    for i in range(rows):
        points = (i * 37) % 5000
        w.writerow(
            [f"m{i:07d}", f"m{i:07d}@bench.example", f"Member {i}",
             f"19{50 + i % 50}-{i % 12 + 1:02d}-{i % 28 + 1:02d}", points,
             points + i % 700, "2024-03-01T09:30:00Z"]
        )  # fmt: skip
    return out.getvalue().encode()


async def main(rows: int, batch_rows: int) -> int:
    content = make_file(rows)
    async with scratch_tenant("loyalty_bench_import", "bench-import") as (services, tenant):
        schema = tenant.schema_name
        records = list(csv.reader(io.StringIO(content.decode())))[1:]
        async with services.pool.acquire() as conn:
            await conn.execute(f'SET search_path = "{schema}"')
            await conn.execute(_FLOOR_TABLE)
            started = time.perf_counter()
            await conn.copy_records_to_table(
                "import_floor",
                records=[(r[0], r[1], r[2], None, int(r[4]), int(r[5]), None) for r in records],
            )
            floor = time.perf_counter() - started
            await conn.execute("RESET search_path")

        started = time.perf_counter()
        job = await run_file(
            services.pool,
            schema,
            services.clock,
            ImportFile.of(content),
            actor="bench",
            batch_rows=batch_rows,
        )
        took = time.perf_counter() - started

        async with services.pool.acquire() as conn:
            await conn.execute(f'SET search_path = "{schema}"')
            mismatched = await conn.fetchval(_CONSISTENT)
            await conn.execute("RESET search_path")

    target = TARGET_SECONDS_PER_100K * rows / 100_000
    ok = job.tally.imported == rows and mismatched == 0 and took < target
    print(f"rows                 {rows:>12,}")
    print(f"floor (bare COPY)    {rows / floor:>12,.0f} rows/s  {floor:8.2f} s")
    print(f"import               {rows / took:>12,.0f} rows/s  {took:8.2f} s")
    print(f"import / floor time  {took / floor:>12.1f} x")
    print(f"imported             {job.tally.imported:>12,}  ledger mismatches: {mismatched}")
    print(f"target               < {target:.0f} s for {rows:,} rows: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-rows", type=int, default=5_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.rows, args.batch_rows)))
