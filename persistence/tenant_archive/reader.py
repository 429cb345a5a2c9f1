"""Importing a tenant archive into a new tenant: the whole archive is checked against its
manifest first (every file's size, row count and SHA-256, and the zip's own CRCs), then the
rows are loaded into the new schema in the transaction that creates the tenant, so an
import that fails leaves no tenant behind.

Rows are loaded as they were written: ids, sequences and the analytics rollups included,
with the tables' own triggers off (the rollups and the lots' due dates arrive already
computed; the append-only guards have nothing to guard in an empty table). Foreign keys are
checked as usual: tables are loaded parents first.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from domain.tenant_archive import (
    MANIFEST,
    TABLES_FOLDER,
    ArchiveRefused,
    Manifest,
    TableFile,
    parse_manifest,
    require_same_file,
)
from persistence.db import Conn
from persistence.tenant_archive.catalog import Table, ident, tables_in_load_order

ROWS_PER_INSERT = 2000
READ_BYTES = 1 << 20

Progress = Callable[[str, int], None]  # (table, rows just read or loaded)

# A copy must not speak for the tenant it was made from: its webhook endpoints arrive
# disabled, so the same receivers do not get every event twice.
_IMPORTED_ENDPOINTS = (
    "UPDATE {schema}.webhook_endpoints SET enabled = false, disabled_at = now(),"
    " disabled_reason = 'Imported from a tenant archive: enable it to receive this tenant''s"
    " events.' WHERE enabled"
)


def open_archive(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ArchiveRefused(f"{path} is not a readable tenant archive ({err}).") from err


def verify(archive: zipfile.ZipFile, *, on_rows: Progress | None = None) -> Manifest:
    """The manifest, once every file it names was read whole and matched; ArchiveRefused
    otherwise. Nothing is written before this returns."""
    try:
        manifest = parse_manifest(archive.read(MANIFEST))
    except KeyError as err:
        raise ArchiveRefused("The archive has no manifest.json.") from err
    except (zipfile.BadZipFile, zlib.error, OSError) as err:
        raise ArchiveRefused(f"The archive is corrupt: manifest.json ({err}).") from err
    named = {t.file for t in manifest.tables}
    extra = sorted(n for n in archive.namelist() if n.startswith(TABLES_FOLDER) and n not in named)
    if extra:
        raise ArchiveRefused(f"The archive holds files its manifest does not name: {extra}.")
    for expected in manifest.tables:
        digest = hashlib.sha256()
        rows = size = 0
        try:
            with archive.open(expected.file) as f:
                for block in iter(lambda f=f: f.read(READ_BYTES), b""):  # type: ignore[misc]
                    digest.update(block)
                    size += len(block)
                    rows += block.count(b"\n")
        except KeyError as err:
            raise ArchiveRefused(f"The archive is missing {expected.file}.") from err
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise ArchiveRefused(f"The archive is corrupt: {expected.file} ({err}).") from err
        require_same_file(expected, rows, size, digest.hexdigest())
        if on_rows:
            on_rows(expected.table, rows)
    return manifest


def _batches(f: IO[bytes]) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in f:
        batch.append(line.decode().rstrip("\n"))
        if len(batch) == ROWS_PER_INSERT:
            yield batch
            batch = []
    if batch:
        yield batch


async def load(
    conn: Conn,
    schema: str,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    *,
    on_rows: Progress | None = None,
    keep_endpoints: bool = False,
) -> None:
    """Writes the archive's rows into `schema`, a new schema at the archive's version, in
    the caller's transaction. `keep_endpoints`: the tenant itself moved, not a copy of it,
    so its webhook endpoints stay as they were."""
    tables = {t.name: t for t in await tables_in_load_order(conn, schema)}
    files = {t.table: t for t in manifest.tables}
    unknown = sorted(set(files) - set(tables))
    if unknown:
        raise ArchiveRefused(f"The archive holds tables this schema does not have: {unknown}.")
    for table in tables.values():
        if table.name in files:
            await _load_table(conn, table, archive, files[table.name], on_rows)
    if "webhook_endpoints" in files and not keep_endpoints:
        await conn.execute(_IMPORTED_ENDPOINTS.format(schema=tables["webhook_endpoints"].schema))


async def _load_table(
    conn: Conn,
    table: Table,
    archive: zipfile.ZipFile,
    file: TableFile,
    on_rows: Progress | None,
) -> None:
    columns = table.column_list()
    await conn.execute(f"ALTER TABLE {table.qualified} DISABLE TRIGGER USER")
    # A new schema's only rows are the singletons its migrations seed: the archive's replace them.
    await conn.execute(f"DELETE FROM {table.qualified}")
    insert = (
        f"INSERT INTO {table.qualified} ({columns}) OVERRIDING SYSTEM VALUE"
        f" SELECT {columns} FROM json_populate_recordset(NULL::{table.qualified}, $1::json)"
    )
    with archive.open(file.file) as f:
        for batch in _batches(f):
            await conn.execute(insert, "[" + ",".join(batch) + "]")
            if on_rows:
                on_rows(table.name, len(batch))
    await conn.execute(f"ALTER TABLE {table.qualified} ENABLE TRIGGER USER")
    for column in table.identities:
        # The next id the table hands out follows the last one loaded.
        await conn.execute(
            f"""SELECT setval(pg_get_serial_sequence($1, $2),
                              coalesce((SELECT max({ident(column)}) FROM {table.qualified}), 0) + 1,
                              false)""",
            table.qualified,
            column,
        )
