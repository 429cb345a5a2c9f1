"""What exporting and importing a tenant archive cost, against the plain read of the same rows.

    .venv/bin/python -m bench.tenant_archive [--members 20000] [--orders 40000] [--entries 100000]

One tenant on a fresh database, loaded in SQL as bench.scale_analytics loads it (members,
orders, ledger entries, the analytics rollups). Then, in
alternation, `--rounds` times each: the export (every table read in one snapshot as JSON
Lines, hashed and zipped, written to a temporary file), and the floor, the same tables read
in one snapshot by `COPY … TO STDOUT` and thrown away. Printed: the best of each, and their
ratio. Then the import of the archive as a new tenant (verification, then the load in one
transaction), best of `--rounds`, and its rows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from bench.scale_analytics import _ENTRIES, _MEMBERS, _ORDERS, TRIGGERS
from bench.servers import scratch_tenant
from persistence.tenant_archive.catalog import tables_in_load_order
from persistence.tenant_archive.importer import import_tenant
from persistence.tenant_archive.reader import open_archive, verify
from persistence.tenant_archive.writer import export_tenant

DAYS = 730


async def _load(services, tenant, members: int, orders: int, entries: int) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", tenant.schema_name)
        # The rollups are built once, set-wise, as bench.scale_analytics builds them.
        for table, trigger in TRIGGERS:
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        await conn.execute(_MEMBERS, members, DAYS)
        await conn.execute(_ORDERS, orders, members, DAYS)
        await conn.execute(_ENTRIES, entries, members, DAYS)
        for table, trigger in TRIGGERS:
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        await conn.execute("SELECT analytics_rebuild()")
        await conn.execute("ANALYZE")


async def _export(services, tenant, path: Path) -> float:
    start = time.perf_counter()
    with path.open("wb") as out:
        async for chunk in export_tenant(services.pool, tenant):
            out.write(chunk)
    return time.perf_counter() - start


async def _floor(services, tenant) -> float:
    start = time.perf_counter()
    async with (
        services.pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        for table in await tables_in_load_order(conn, tenant.schema_name):
            await conn.copy_from_query(f"SELECT * FROM {table.qualified}", output=_discard)
    return time.perf_counter() - start


async def _discard(data: bytes) -> None:
    pass


async def main(args: argparse.Namespace) -> None:
    async with scratch_tenant("loyalty_bench_archive", "archive-bench") as (services, tenant):
        await _load(services, tenant, args.members, args.orders, args.entries)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "tenant.zip"
            exports, floors = [], []
            for _ in range(args.rounds):
                exports.append(await _export(services, tenant, path))
                floors.append(await _floor(services, tenant))
            with open_archive(path) as archive:
                rows = verify(archive).total_rows()
            imports = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                await import_tenant(services.pool, path, slug="copy-" + uuid4().hex[:8])
                imports.append(time.perf_counter() - start)
            size = path.stat().st_size
        export, floor, load = min(exports), min(floors), min(imports)
        print(f"rows {rows:,}  archive {size / 1e6:.1f} MB")
        print(f"export {export:.2f} s ({rows / export:,.0f} rows/s)  floor COPY {floor:.2f} s")
        print(f"export / floor: {export / floor:.1f}x")
        print(f"import {load:.2f} s ({rows / load:,.0f} rows/s)")
        print(f"import / export: {load / export:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=40_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
