"""Test scaffolding: the schemas of tenants whose tests have ended, emptied and handed to the
next tests' tenants instead of building new ones.

A tenant's schema is about 230 relations, and building them costs PostgreSQL a third of a
CPU-second; thousands of tests each making a tenant spent most of the suite's time there, and
left thousands of schemas behind for every later "all tenants" worker round to walk. So
`make_tenant` (tests/conftest.py) provisions through `create_tenant` as production does, but
with this migrator: when a schema of a finished test is waiting, the new tenant's
`migrate_schema` takes it — every table emptied, the rows the migrations seed copied back from
a pristine schema migrated once per run, every sequence set back — and renames it to the new
tenant's schema, moving its recorded migration versions along. Otherwise it migrates as
usual.

What makes a reused schema as good as a new one:
- it is taken in the new tenant's creating transaction, after the tenant it served is gone
  from the registry (so no request or worker round reaches it by its old name);
- it is taken only when its shape (tables, columns and their types, indexes, constraints,
  triggers, functions) and its recorded versions equal the pristine schema's, and it holds
  little data; any other schema is dropped, as is any schema whose emptying fails;
- it gets the new tenant's schema name, which no cache has seen, and so do the functions
  that name their schema in their settings.

Only tenants made while a test runs are retired, when the next tenant is asked for; tenants of
module- and session-scoped fixtures live as long as their fixtures. The real provisioning is
still what the tests of `createTenant`, migrations and archives exercise.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from dataclasses import dataclass, field
from uuid import UUID

import asyncpg

from persistence import migrator as real_migrator
from persistence.db import Conn

log = logging.getLogger("tests.recycled_schemas")

# Tenant schema names (tenants/naming.py) that no slug gives: a slug never starts with "-".
PRISTINE = "t__recycled_pristine"
# Bigger schemas are dropped: emptying them would cost more than building a new one.
MAX_REUSED_BYTES = 16 * 1024 * 1024

_SHAPE = """
SELECT md5(string_agg(part, '|' ORDER BY part)) FROM (
    SELECT c.relname || ':' || c.relkind::text || ':' || coalesce(string_agg(
        a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text,
        ',' ORDER BY a.attnum), '') AS part
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relnamespace = $1::text::regnamespace
    GROUP BY c.relname, c.relkind
    UNION ALL
    SELECT 'constraint:' || conname || ':' || contype::text FROM pg_constraint
    WHERE connamespace = $1::text::regnamespace
    UNION ALL
    SELECT 'trigger:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = $1::text::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT 'function:' || proname || ':' || md5(prosrc) FROM pg_proc
    WHERE pronamespace = $1::text::regnamespace
    UNION ALL
    SELECT 'versions:' || string_agg(version::text, ',' ORDER BY version)
    FROM control.schema_migrations WHERE schema_name = $1::text
) parts
"""

_SIZE = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r'
"""


@dataclass
class _Pristine:
    shape: str
    tables: list[str]
    seeded: list[str]
    sequences: list[tuple[str, int, bool]]


@dataclass
class SchemaRecycler:
    """A migrator (tenants/schema_migrator.py) that reuses the schemas of finished tests."""

    # Set by `make_tenant` when the suite's services start.
    pool: asyncpg.Pool | None = None
    # Tenants made by the test that is running, and by tests that have ended.
    running: list[UUID] | None = None
    finished: list[UUID] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    reused: int = 0
    built: int = 0
    _pristine: _Pristine | None = None
    _names: itertools.count[int] = field(default_factory=itertools.count)

    # -- the fixture's side ------------------------------------------------------------

    def test_started(self) -> None:
        self.running = []

    def test_ended(self) -> None:
        self.finished.extend(self.running or [])
        self.running = None

    def made(self, tenant_id: str) -> None:
        if self.running is not None:
            self.running.append(UUID(tenant_id))

    async def retire_finished(self) -> None:
        """The finished tests' tenants leave the registry; their schemas wait for reuse."""
        pristine = await self.pristine()
        while self.finished:
            tenant_id = self.finished.pop()
            try:
                await self._retire(tenant_id, pristine)
            except (asyncpg.PostgresError, OSError):
                # A schema still locked by something of its test's: left where it is.
                log.warning("tenant %s not retired", tenant_id, exc_info=True)

    async def _retire(self, tenant_id: UUID, pristine: _Pristine) -> None:
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '2s'")
            schema = await conn.fetchval(
                "DELETE FROM control.tenants WHERE id = $1 RETURNING schema_name", tenant_id
            )
            if schema is None or not await _exists(conn, schema):
                return
            if (
                await conn.fetchval(_SHAPE, schema) == pristine.shape
                and await conn.fetchval(_SIZE, schema) <= MAX_REUSED_BYTES
            ):
                name = f"t__recycled_{next(self._names)}"
                await _rename(conn, schema, name)
                self.waiting.append(name)
            else:
                await _drop(conn, schema)

    # -- the migrator's side -----------------------------------------------------------

    async def migrate_control(self, conn: Conn) -> list[int]:
        return await real_migrator.migrate_control(conn)

    async def migrate_schema(
        self, conn: Conn, schema: str, kind: str, *, until: int | None = None
    ) -> list[int]:
        if kind == "tenant" and until is None:
            while self.waiting:
                name = self.waiting.pop()
                if await self._reuse(conn, name, schema):
                    self.reused += 1
                    return []
            self.built += kind == "tenant"
        return await real_migrator.migrate_schema(conn, schema, kind, until=until)

    async def _reuse(self, conn: Conn, name: str, schema: str) -> bool:
        pristine = await self.pristine()
        try:
            async with conn.transaction():  # a savepoint: a failure leaves the creation whole
                # Ordinary triggers off: the ledger refuses DELETE, and the seeded rows are
                # copied as they are, not as new facts.
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute(_emptying_sql(name, pristine))
                await conn.execute("SET LOCAL session_replication_role = origin")
                await _rename(conn, name, schema)
        except asyncpg.PostgresError:
            log.warning("recycled schema %s not reusable", name, exc_info=True)
            with contextlib.suppress(asyncpg.PostgresError):
                async with conn.transaction():
                    await _drop(conn, name)
            return False
        return True

    async def pristine(self) -> _Pristine:
        if self._pristine is None:
            assert self.pool is not None
            async with self.pool.acquire() as conn:
                if not await _exists(conn, PRISTINE):
                    await real_migrator.migrate_schema(conn, PRISTINE, "tenant")
                self._pristine = await _read_pristine(conn)
        return self._pristine


async def _read_pristine(conn: Conn) -> _Pristine:
    tables = [
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = $1::text::regnamespace"
            " AND relkind = 'r' ORDER BY relname",
            PRISTINE,
        )
    ]
    seeded = [
        t for t in tables if await conn.fetchval(f'SELECT EXISTS (SELECT FROM {PRISTINE}."{t}")')
    ]
    sequences = [
        (r["sequencename"], r["last_value"] or r["start_value"], r["last_value"] is not None)
        for r in await conn.fetch(
            "SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = $1",
            PRISTINE,
        )
    ]
    shape = await conn.fetchval(_SHAPE, PRISTINE)
    return _Pristine(shape, tables, seeded, sequences)


def _emptying_sql(name: str, pristine: _Pristine) -> str:
    statements = [f'DELETE FROM {name}."{t}";' for t in pristine.tables]
    statements += [
        f'INSERT INTO {name}."{t}" OVERRIDING SYSTEM VALUE SELECT * FROM {PRISTINE}."{t}";'
        for t in pristine.seeded
    ]
    # Sequences as the migrations left them (seeded rows may have drawn from them).
    statements += [
        f"SELECT setval('{name}.\"{s}\"', {value}, {'true' if called else 'false'});"
        for s, value, called in pristine.sequences
    ]
    return "\n".join(statements)


async def _exists(conn: Conn, schema: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema
    )
    return found


async def _rename(conn: Conn, old: str, new: str) -> None:
    await conn.execute(f'ALTER SCHEMA "{old}" RENAME TO "{new}"')
    # Functions declared `SET search_path FROM CURRENT` keep the schema's name as text.
    for function in await conn.fetch(
        "SELECT proname, pg_get_function_identity_arguments(oid) AS arguments FROM pg_proc"
        " WHERE pronamespace = $1::text::regnamespace"
        " AND EXISTS (SELECT FROM unnest(proconfig) c WHERE c LIKE 'search_path=%')",
        new,
    ):
        await conn.execute(
            f'ALTER FUNCTION "{new}"."{function["proname"]}"({function["arguments"]})'
            f' SET search_path = "{new}"'
        )
    await conn.execute(
        "UPDATE control.schema_migrations SET schema_name = $2 WHERE schema_name = $1", old, new
    )


async def _drop(conn: Conn, schema: str) -> None:
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await conn.execute("DELETE FROM control.schema_migrations WHERE schema_name = $1", schema)
