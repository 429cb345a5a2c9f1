"""Settings kept as versioned JSON rows (the program configuration, the referral settings).

The row with the highest version is current; a change adds a row, never edits one, so
earlier versions stay readable. Two changes of one version race for the same new version
number, and the second is refused as a conflict rather than lost. Table names come from
the repositories, never from input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.errors import DomainError, ErrorCode
from persistence.db import Conn


async def latest(conn: Conn, table: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT version, config FROM {table} ORDER BY version DESC LIMIT 1")


async def add_version(
    conn: Conn,
    table: str,
    version: int,
    config: dict[str, Any],
    at: datetime,
    by: str | None,
    *,
    conflict: str,
    announce: str | None = None,
) -> None:
    """Stores `version`; `conflict` is the message when another change saved it first.
    With `announce` (a channel name, never input), the schema is announced on it when the
    change commits."""
    returning = f" RETURNING pg_notify('{announce}', current_schema())" if announce else ""
    try:
        async with conn.transaction():
            await conn.execute(
                f"INSERT INTO {table} (version, config, created_at, created_by)"
                f" VALUES ($1, $2, $3, $4){returning}",
                version,
                config,
                at,
                by,
            )
    except asyncpg.UniqueViolationError as err:
        raise DomainError(conflict, code=ErrorCode.CONFLICT) from err
