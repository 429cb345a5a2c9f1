"""The import jobs of a tenant (`member_imports`, tenant migration 0021): made once per file,
their counters moved in the transaction of each batch they count, their reported rows."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from asyncpg.pool import PoolConnectionProxy

from domain.errors import ErrorCode
from domain.member_import import ImportFormat, ImportStatus, ImportTally, RowError

# Not 5502, the members' space (persistence/member_locks.py): an import's claim is held for
# its whole run, and would block the member whose id hashes to the same key.
_LOCK_SPACE = 5503


@dataclass(frozen=True, slots=True)
class ImportJob:
    id: UUID
    format: ImportFormat
    status: ImportStatus
    bytes: int
    total_rows: int | None
    processed_rows: int
    tally: ImportTally
    ignored_columns: tuple[str, ...]
    failure: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    has_source: bool = field(default=False)


_COLUMNS = """id, format, status, bytes, total_rows, processed_rows, imported, already_imported,
failed, points, ignored_columns, failure, created_by, created_at, started_at, finished_at,
source IS NOT NULL AS has_source"""


def _job(row: object) -> ImportJob:
    r: dict[str, object] = dict(row)  # type: ignore[call-overload]
    return ImportJob(
        id=r["id"],  # type: ignore[arg-type]
        format=ImportFormat(str(r["format"])),
        status=ImportStatus(str(r["status"])),
        bytes=r["bytes"],  # type: ignore[arg-type]
        total_rows=r["total_rows"],  # type: ignore[arg-type]
        processed_rows=r["processed_rows"],  # type: ignore[arg-type]
        tally=ImportTally(
            rows=r["total_rows"] or 0,  # type: ignore[arg-type]
            imported=r["imported"],  # type: ignore[arg-type]
            already_imported=r["already_imported"],  # type: ignore[arg-type]
            failed=r["failed"],  # type: ignore[arg-type]
            points=r["points"],  # type: ignore[arg-type]
        ),
        ignored_columns=tuple(r["ignored_columns"]),  # type: ignore[arg-type]
        failure=r["failure"],  # type: ignore[arg-type]
        created_by=r["created_by"],  # type: ignore[arg-type]
        created_at=r["created_at"],  # type: ignore[arg-type]
        started_at=r["started_at"],  # type: ignore[arg-type]
        finished_at=r["finished_at"],  # type: ignore[arg-type]
        has_source=bool(r["has_source"]),
    )


async def create(
    conn: PoolConnectionProxy,
    import_id: UUID,
    format: ImportFormat,
    size: int,
    source: bytes | None,
    created_by: str | None,
    now: datetime,
) -> ImportJob:
    """The import of this file: made now, or the one made by an earlier sending of it (its
    file kept again if the first had none and this one brings it)."""
    row = await conn.fetchrow(
        f"""INSERT INTO member_imports (id, format, bytes, source, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET
                source = coalesce(member_imports.source, CASE
                    WHEN member_imports.status IN ('QUEUED', 'RUNNING') THEN EXCLUDED.source END)
            RETURNING {_COLUMNS}""",
        import_id,
        format.value,
        size,
        source,
        created_by,
        now,
    )
    return _job(row)


async def get(conn: PoolConnectionProxy, import_id: UUID) -> ImportJob | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM member_imports WHERE id = $1", import_id)
    return _job(row) if row else None


async def source(conn: PoolConnectionProxy, import_id: UUID) -> bytes | None:
    found: bytes | None = await conn.fetchval(
        "SELECT source FROM member_imports WHERE id = $1", import_id
    )
    return found


# Runs an import may start before the worker stops taking it over: one that fails every
# time (not the file's fault: that is FAILED at once) is left for an operator to look at.
MAX_ATTEMPTS = 10


async def unfinished(conn: PoolConnectionProxy) -> list[UUID]:
    """Imports sent through the API that no run has finished (queued, or left by a crash)."""
    rows = await conn.fetch(
        """SELECT id FROM member_imports
            WHERE status IN ('QUEUED', 'RUNNING') AND source IS NOT NULL AND attempts < $1
            ORDER BY seq""",
        MAX_ATTEMPTS,
    )
    return [r["id"] for r in rows]


def lock_key(schema: str, import_id: UUID) -> int:
    return zlib.crc32(f"{schema}:{import_id}".encode()) - 2**31


async def try_lock(conn: PoolConnectionProxy, schema: str, import_id: UUID) -> bool:
    """The run's claim, for as long as `conn`'s transaction stays open: a runner that dies
    loses it with its connection, and the next run takes over at once."""
    locked: bool = await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock($1, $2)", _LOCK_SPACE, lock_key(schema, import_id)
    )
    return locked


async def start(
    conn: PoolConnectionProxy,
    import_id: UUID,
    total_rows: int,
    ignored_columns: Sequence[str],
    now: datetime,
) -> None:
    await conn.execute(
        """UPDATE member_imports SET status = 'RUNNING', total_rows = $2, processed_rows = 0,
               ignored_columns = $3, attempts = attempts + 1, failure = NULL,
               started_at = coalesce(started_at, $4), finished_at = NULL
            WHERE id = $1""",
        import_id,
        total_rows,
        list(ignored_columns),
        now,
    )


async def record_batch(
    conn: PoolConnectionProxy,
    import_id: UUID,
    processed: int,
    tally: ImportTally,
    errors: Sequence[RowError],
) -> int:
    """The batch's counts and reported rows, in the batch's transaction; returns how many of
    the rows reported are newly so (a resumed run reports a line once)."""
    reported = 0
    if errors:
        found = await conn.fetch(
            """INSERT INTO member_import_errors (import_id, line, field, code, message)
               SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])
               ON CONFLICT DO NOTHING RETURNING line""",
            import_id,
            [e.line for e in errors],
            [e.field for e in errors],
            [e.code.value for e in errors],
            [e.message for e in errors],
        )
        reported = len(found)
    await conn.execute(
        """UPDATE member_imports SET processed_rows = greatest(processed_rows, $2),
               imported = imported + $3, already_imported = already_imported + $4,
               failed = failed + $5, points = points + $6
            WHERE id = $1""",
        import_id,
        processed,
        tally.imported,
        tally.already_imported,
        reported,
        tally.points,
    )
    return reported


async def finish(
    conn: PoolConnectionProxy,
    import_id: UUID,
    status: ImportStatus,
    now: datetime,
    failure: str | None = None,
) -> None:
    await conn.execute(
        """UPDATE member_imports SET status = $2, failure = $3, finished_at = $4,
               processed_rows = CASE WHEN $2 = 'FINISHED' THEN coalesce(total_rows, 0)
                                     ELSE processed_rows END,
               source = NULL
            WHERE id = $1""",
        import_id,
        status.value,
        failure,
        now,
    )


async def row_errors(
    conn: PoolConnectionProxy, import_id: UUID, after_line: int, limit: int
) -> list[RowError]:
    rows = await conn.fetch(
        """SELECT line, field, code, message FROM member_import_errors
            WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3""",
        import_id,
        after_line,
        limit,
    )
    return [RowError(r["line"], r["field"], ErrorCode(r["code"]), r["message"]) for r in rows]
