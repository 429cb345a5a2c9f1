"""Exporting a tenant: every table of its schema, read in one snapshot, streamed out as a zip
of JSON Lines with the manifest last.

The rows are read through a cursor, a batch at a time, and each zip entry is written with a
data descriptor (the zip format's way to write an entry of unknown size to a stream), so a
tenant of any size passes through a bounded buffer: the CLI writes the chunks to a file, the
download route sends them as they come.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg

from domain.tenant_archive import MANIFEST, Manifest, TableFile, table_file
from persistence.tenant_archive.catalog import (
    Table,
    applied_migrations,
    ident,
    tables_in_load_order,
)
from tenants.registry import Tenant

ROWS_PER_FETCH = 2000
# Chunks handed to the caller once the buffer holds this much.
CHUNK_BYTES = 1 << 20

Progress = Callable[[str, int], None]  # (table, rows just written)


class _Sink:
    """What zipfile writes to: a stream it cannot seek, drained by the exporter."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0
        self._written = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        self._written += len(data)
        return len(data)

    def close(self) -> None:
        pass

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def _select(table: Table) -> str:
    order = f" ORDER BY {', '.join(ident(c) for c in table.key)}" if table.key else ""
    return f"SELECT row_to_json(t)::text FROM {table.qualified} t{order}"


async def estimated_rows(pool: asyncpg.Pool, tenant: Tenant) -> int:
    """The planner's estimate of the rows an export will write: for a progress bar."""
    async with pool.acquire() as conn:
        return sum(t.estimated_rows for t in await tables_in_load_order(conn, tenant.schema_name))


async def export_tenant(
    pool: asyncpg.Pool, tenant: Tenant, *, on_rows: Progress | None = None
) -> AsyncIterator[bytes]:
    """The tenant's archive, in chunks. All tables are read in one REPEATABLE READ snapshot,
    so the ledger exported sums to the balances exported with it."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    files: list[TableFile] = []
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        schema = tenant.schema_name
        migrations = await applied_migrations(conn, schema)
        for table in await tables_in_load_order(conn, schema):
            digest = hashlib.sha256()
            rows = size = 0
            with archive.open(table_file(table.name), "w", force_zip64=True) as out:
                batch: list[bytes] = []
                async for record in conn.cursor(_select(table), prefetch=ROWS_PER_FETCH):
                    batch.append(record[0].encode() + b"\n")
                    if len(batch) == ROWS_PER_FETCH:
                        size += _write(out, digest, batch)
                        rows += len(batch)
                        if on_rows:
                            on_rows(table.name, len(batch))
                        batch = []
                        if sink.size >= CHUNK_BYTES:
                            yield sink.take()
                size += _write(out, digest, batch)
                rows += len(batch)
                if on_rows and batch:
                    on_rows(table.name, len(batch))
            files.append(
                TableFile(table.name, table_file(table.name), rows, size, digest.hexdigest())
            )
            if sink.size >= CHUNK_BYTES:
                yield sink.take()
    manifest = Manifest(
        tenant_id=str(tenant.id),
        slug=tenant.slug,
        name=tenant.name,
        exported_at=datetime.now(UTC),
        migrations=migrations,
        tables=tuple(files),
    )
    archive.writestr(MANIFEST, json.dumps(manifest.as_json(), indent=2) + "\n")
    archive.close()
    yield sink.take()


def _write(out: object, digest: hashlib._Hash, batch: list[bytes]) -> int:
    data = b"".join(batch)
    digest.update(data)
    out.write(data)  # type: ignore[attr-defined]
    return len(data)
