"""SQL migrations: numbered files applied once per schema, each schema in its own transaction.

Applied versions are recorded in control.schema_migrations, one row per schema and version.
An advisory lock per schema keeps two migrating processes from applying the same file twice.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from persistence.db import Conn
from tenants.naming import CONTROL_SCHEMA, quote_schema

_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS control;
CREATE TABLE IF NOT EXISTS control.schema_migrations (
    schema_name  text NOT NULL,
    version      integer NOT NULL,
    name         text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, version)
);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def migrations(kind: str) -> tuple[Migration, ...]:
    """The migrations of `kind` ('control' or 'tenant'), in order."""
    folder = resources.files("persistence") / "migrations" / kind
    found = []
    for item in folder.iterdir():
        match = _FILE.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {kind}: {versions}")
    return tuple(found)


def latest_version(kind: str) -> int:
    found = migrations(kind)
    return found[-1].version if found else 0


async def bootstrap(conn: Conn) -> None:
    # Serialise concurrent bootstraps: CREATE ... IF NOT EXISTS still races on catalogs.
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(7411)")
        await conn.execute(BOOTSTRAP)


async def migrate_schema(
    conn: Conn, schema: str, kind: str, *, upto: int | None = None
) -> list[int]:
    """Brings one schema to the latest version of `kind` (or to `upto`, for loading a tenant
    archive made at that version); returns the versions applied."""
    quoted = quote_schema(schema)
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(schema.encode()))
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        done = {
            r["version"]
            for r in await conn.fetch(
                "SELECT version FROM control.schema_migrations WHERE schema_name = $1", schema
            )
        }
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        for m in migrations(kind):
            if m.version in done or (upto is not None and m.version > upto):
                continue
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO control.schema_migrations (schema_name, version, name)"
                " VALUES ($1, $2, $3)",
                schema,
                m.version,
                m.name,
            )
            applied.append(m.version)
    return applied


async def migrate_control(conn: Conn) -> list[int]:
    await bootstrap(conn)
    return await migrate_schema(conn, CONTROL_SCHEMA, "control")
