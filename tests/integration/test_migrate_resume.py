"""Given tenants one migration behind, when `loyalty migrate` is killed (SIGKILL) in the middle
of its run, then every schema is either migrated whole or not at all, the progress bar had
counted the ones done, and running the command again migrates exactly the rest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from persistence import migrator
from persistence.db import create_pool
from persistence.migrator import TenantsUntil, latest_version, version_before_latest
from tenants.provisioning import create_tenant
from tenants.registry import TenantRegistry
from tests.support.servers import create_test_database, drop_test_database, postgres_admin_url

TENANTS = 8
# Two schemas in the middle are held by the test: with two at a time, the command has then
# migrated the ones before them and is stuck on both, with the ones after still to do.
HELD = (3, 4)


@pytest.fixture
async def behind(
    redis_dsn: str, tmp_path: Path
) -> AsyncIterator[tuple[dict[str, str], asyncpg.Pool]]:
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    pool = await create_pool(url, min_size=1, max_size=4)
    try:
        old = TenantsUntil(version_before_latest("tenant"))
        async with pool.acquire() as conn:
            await migrator.migrate_control(conn)
        for i in range(TENANTS):
            await create_tenant(pool, migrator=old, slug=f"resume-{i}", name=f"Shop {i}")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
            "LOYALTY_DATABASE_URL": url,
            "LOYALTY_REDIS_URL": redis_dsn,
            "LOYALTY_SECRET_KEY": "migrate-resume-secret",
            "LOYALTY_DATA_DIR": str(tmp_path / ".loyalty"),
        }
        yield env, pool
    finally:
        await pool.close()
        await drop_test_database(admin, name)


async def _latest(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT schema_name, max(version) AS v FROM control.schema_migrations"
        " WHERE schema_name LIKE 't\\_%' GROUP BY schema_name"
    )
    return {r["schema_name"]: r["v"] for r in rows}


async def _shape(pool: asyncpg.Pool, schema: str) -> set[tuple[str, str]]:
    """What the migrations made of a schema: its relations, columns, constraints and
    functions, by name. The latest migration changes it, whatever that migration is."""
    rows = await pool.fetch(
        """SELECT 'column', table_name || '.' || column_name FROM information_schema.columns
             WHERE table_schema = $1
           UNION ALL
           SELECT 'relation', relname FROM pg_class
             WHERE relnamespace = $1::regnamespace
           UNION ALL
           SELECT 'constraint', conname || ':' || replace(pg_get_constraintdef(oid), $1 || '.', '')
             FROM pg_constraint
             WHERE connamespace = $1::regnamespace
           UNION ALL
           SELECT 'function', proname || ':' || md5(prosrc) FROM pg_proc
             WHERE pronamespace = $1::regnamespace""",
        schema,
    )
    return {(r[0], r[1]) for r in rows}


async def _waiting_on_advisory_locks(pool: asyncpg.Pool) -> int:
    count = await pool.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return int(count)


def _migrate(env: dict[str, str], stderr: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "migrate", "--concurrency", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,  # type: ignore[arg-type]
        text=True,
    )


async def test_a_killed_migrate_leaves_whole_schemas_and_the_next_run_finishes(behind):
    env, pool = behind
    schemas = await TenantRegistry(pool).schemas()
    assert len(schemas) == TENANTS
    assert await _latest(pool) == dict.fromkeys(schemas, version_before_latest("tenant"))
    held = [schemas[i] for i in HELD]

    # The migrator takes a transaction-level advisory lock per schema before touching it.
    holders = [await pool.acquire() for _ in held]
    transactions = [conn.transaction() for conn in holders]
    progress = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read after the kill
    try:
        for conn, tx, schema in zip(holders, transactions, held, strict=True):
            await tx.start()
            await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(schema.encode()))
        run = _migrate(env, progress)
        try:
            for _ in range(600):
                if await _waiting_on_advisory_locks(pool) == len(held):
                    break
                assert run.poll() is None, run.communicate()
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the migration never reached the held schemas")
            run.kill()
            run.wait()
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    finally:
        for conn, tx in zip(holders, transactions, strict=True):
            await tx.rollback()
            await pool.release(conn)

    done = schemas[: HELD[0]]
    latest = latest_version("tenant")
    versions = await _latest(pool)
    assert {s for s, v in versions.items() if v == latest} == set(done)
    assert {s for s, v in versions.items() if v != latest} == set(schemas) - set(done)
    # no schema half-migrated: the record and the change go together
    migrated, behind = await _shape(pool, done[0]), await _shape(pool, schemas[-1])
    assert migrated != behind
    for schema in schemas:
        assert await _shape(pool, schema) == (migrated if schema in done else behind), schema
    progress.seek(0)
    bar = progress.read()
    assert f"{len(done)}/{TENANTS}" in bar, bar
    assert f"{len(done) + 1}/{TENANTS}" not in bar, bar

    again = _migrate(env, subprocess.PIPE)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out + err
    assert (
        f"tenants: {TENANTS - len(done)} upgraded, {len(done)} already current, 0 failed" in out
    ), out
    assert f"{TENANTS}/{TENANTS}" in err
    assert await _latest(pool) == dict.fromkeys(schemas, latest)
    for schema in schemas:
        assert await _shape(pool, schema) == migrated, schema
