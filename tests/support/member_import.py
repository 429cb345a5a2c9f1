"""Files for the member import tests, and what an import left in a tenant's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from api.settings import Settings


def csv_file(path: Path, rows: list[str], header: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def jsonl_file(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_DATABASE_URL": settings.database_dsn(),
        "LOYALTY_REDIS_URL": settings.redis_dsn(),
        "LOYALTY_SECRET_KEY": settings.resolved_secret_key.decode(),
    }


def import_command(slug: str, path: Path, *more: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "api.cli",
        "import",
        "members",
        "--quiet",
        "--tenant",
        slug,
        *more,
        str(path),
    ]


def run_import(
    settings: Settings, slug: str, path: Path, *more: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        import_command(slug, path, *more),
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def imported_totals(pool: asyncpg.Pool, schema: str, prefix: str) -> dict[str, int]:
    """Members whose externalId starts with `prefix`, their balances and opening entries."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"""SELECT count(*) AS members,
                       coalesce(sum(b.available), 0) AS available,
                       coalesce(sum(b.lifetime), 0) AS lifetime,
                       (SELECT count(*) FROM "{schema}".ledger_entries e
                          JOIN "{schema}".members m2 ON m2.id = e.member_id
                         WHERE m2.external_id LIKE $1 || '%') AS entries
                  FROM "{schema}".members m
                  LEFT JOIN "{schema}".balances b ON b.member_id = m.id
                 WHERE m.external_id LIKE $1 || '%'""",
            prefix,
        )
    return dict(row)
