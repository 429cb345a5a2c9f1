"""`loyalty migrate`: the control schema, then every tenant schema, with bounded concurrency.

Each schema migrates in its own transaction, so one tenant's failure is reported and rolled
back without touching the others, and running it again finishes what is left. The migrator
is handed in (persistence/migrator.py): tenants imports no persistence module.

Each tenant schema migrates on its own cluster (tenants/clusters.py), where its applied
versions are recorded too, in the same transaction as its DDL: a killed run is resumed
cluster by cluster exactly as on one database. The control schema migrates on the default
cluster only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from tenants.clusters import DEFAULT_CLUSTER, Clusters
from tenants.registry import TenantRegistry
from tenants.schema_migrator import SchemaMigrator


@dataclass
class MigrationSummary:
    control_applied: list[int] = field(default_factory=list)
    upgraded: dict[str, list[int]] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out = [
            "control: "
            + (f"applied {self.control_applied}" if self.control_applied else "current"),
            f"tenants: {len(self.upgraded)} upgraded, {len(self.current)} already current, "
            f"{len(self.failed)} failed, in {self.seconds:.1f}s",
        ]
        out += [f"  FAILED {schema}: {error}" for schema, error in sorted(self.failed.items())]
        return out


async def migrate_all(
    pool: asyncpg.Pool,
    *,
    migrator: SchemaMigrator,
    concurrency: int = 4,
    on_progress: Callable[[str], None] | None = None,
    schemas: list[str] | None = None,
    clusters: Clusters | None = None,
) -> MigrationSummary:
    """`schemas`: only these, all on `pool`'s cluster; none: every tenant's, each on the
    cluster of `clusters` it is placed on (a schema placed on one without an address
    fails, and the others carry on)."""
    started = time.monotonic()
    summary = MigrationSummary()
    async with pool.acquire() as conn:
        summary.control_applied = await migrator.migrate_control(conn)
    routes = clusters or Clusters(pool)
    targets = (
        [(s, DEFAULT_CLUSTER) for s in schemas]
        if schemas is not None
        else await TenantRegistry(pool).placed()
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(schema: str, cluster: str) -> None:
        async with gate:
            try:
                async with routes.pool(cluster).acquire() as conn:
                    applied = await migrator.migrate_schema(conn, schema, "tenant")
            except Exception as exc:  # reported per tenant; the others carry on
                summary.failed[schema] = f"{type(exc).__name__}: {exc}"
            else:
                if applied:
                    summary.upgraded[schema] = applied
                else:
                    summary.current.append(schema)
            if on_progress is not None:
                on_progress(schema)

    await asyncio.gather(*(one(s, c) for s, c in targets))
    summary.seconds = time.monotonic() - started
    return summary
