"""Running a member import: the file read and every row checked (domain/member_import.py),
then written a batch per transaction (persistence/member_import_writer.py), the job's
counters moving with each batch. The CLI runs a file it read; the API's jobs run from the
file kept with the job, in the process that took the request, or in the worker when that
process went away. One run at a time per import: a second is told the import is busy."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.clock import Clock
from domain.entry_actors import imported
from domain.errors import DomainError, ErrorCode
from domain.member_import import (
    ImportRow,
    ImportStatus,
    RowError,
    RowRules,
    SeenInFile,
    check_row,
    import_id_of,
    row_error,
)
from domain.member_import_files import ImportFile
from domain.segment_membership import restart_pass
from domain.stamp_rules import wallet_expiry
from domain.tiers import kept_until
from persistence import member_import_jobs as jobs
from persistence.member_import_writer import BatchContext, done_lines, write_batch
from persistence.uow import PgTenantUnitOfWork

log = logging.getLogger("loyalty.imports")

BATCH_ROWS = 5_000
_RETRIES = 3  # a batch that met a member enrolled meanwhile is checked and written again

Progress = Callable[[int], None]


class ImportBusy(DomainError):
    code = ErrorCode.CONFLICT


@dataclass
class Checked:
    """The file's rows in line order: each checked row, or why it is reported."""

    items: list[ImportRow | RowError]
    ignored_columns: list[str]


def check_file(file: ImportFile, rules: RowRules) -> Checked:
    seen = SeenInFile()
    items: list[ImportRow | RowError] = []
    for line, record in file.records():
        if isinstance(record, DomainError):
            items.append(row_error(line, record))
            continue
        try:
            row = check_row(line, record, rules)
            seen.refuse_repeat(row)
        except DomainError as exc:
            items.append(row_error(line, exc))
            continue
        items.append(row)
    return Checked(items, file.ignored_columns)


async def create_job(
    pool: asyncpg.Pool,
    schema: str,
    file: ImportFile,
    now: datetime,
    *,
    actor: str | None,
    keep_file: bool,
) -> jobs.ImportJob:
    async with PgTenantUnitOfWork(pool, schema) as uow:
        return await jobs.create(
            uow.connection,
            import_id_of(file.digest),
            file.format,
            len(file.content),
            file.content if keep_file else None,
            actor,
            now,
        )


async def run_file(
    pool: asyncpg.Pool,
    schema: str,
    clock: Clock,
    file: ImportFile,
    *,
    actor: str | None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> jobs.ImportJob:
    """The import of `file`, run to its end (or resumed where a run before it stopped)."""
    job = await create_job(pool, schema, file, clock.now(), actor=actor, keep_file=False)
    async with _claimed(pool, schema, job.id):
        await _run(pool, schema, clock, job.id, file, actor, on_start, on_progress, batch_rows)
    return await _job(pool, schema, job.id)


async def run_stored(
    pool: asyncpg.Pool, schema: str, clock: Clock, import_id: UUID, batch_rows: int = BATCH_ROWS
) -> bool:
    """Runs an import sent through the API from its kept file; False when another run has
    it (or nothing is left to run)."""
    try:
        async with _claimed(pool, schema, import_id):
            job = await _job(pool, schema, import_id)
            if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
                return False
            async with PgTenantUnitOfWork(pool, schema) as uow:
                content = await jobs.source(uow.connection, import_id)
            if content is None:
                return False
            file = ImportFile(content, job.format)
            await _run(pool, schema, clock, import_id, file, job.created_by, None, None, batch_rows)
            return True
    except ImportBusy:
        return False


@contextlib.asynccontextmanager
async def _claimed(pool: asyncpg.Pool, schema: str, import_id: UUID) -> Any:
    # The claim is a lock of a transaction kept open on a connection of its own: a run that
    # dies (killed, its host gone) lets it go with its connection.
    async with pool.acquire() as conn, conn.transaction():
        if not await jobs.try_lock(conn, schema, import_id):
            raise ImportBusy("This import is running already.", field=("content",))
        yield


async def _job(pool: asyncpg.Pool, schema: str, import_id: UUID) -> jobs.ImportJob:
    async with PgTenantUnitOfWork(pool, schema) as uow:
        job = await jobs.get(uow.connection, import_id)
    assert job is not None, "an import's row is made before it runs"
    return job


async def _context(
    pool: asyncpg.Pool, schema: str, import_id: UUID, actor: str | None, now: datetime
) -> tuple[BatchContext, RowRules]:
    async with PgTenantUnitOfWork(pool, schema) as uow:
        program = await uow.programs.current()
        tiers = await uow.tiers.all()
        settings = await uow.tiers.settings()
    ctx = BatchContext(
        import_id=import_id,
        now=now,
        actor=imported(import_id, actor),
        config_version=program.version,
        tier_version=settings.version,
        expires_at=wallet_expiry(program, "points", now),
        retain_until={t.id: None if t.threshold == 0 else kept_until(settings, now) for t in tiers},
    )
    return ctx, RowRules.of(tiers, now)


async def _run(
    pool: asyncpg.Pool,
    schema: str,
    clock: Clock,
    import_id: UUID,
    file: ImportFile,
    actor: str | None,
    on_start: Callable[[int], None] | None,
    on_progress: Progress | None,
    batch_rows: int,
) -> None:
    now = clock.now()
    ctx, rules = await _context(pool, schema, import_id, actor, now)
    try:
        checked = check_file(file, rules)
    except DomainError as exc:  # the file as a whole: no header to go by, not text
        async with PgTenantUnitOfWork(pool, schema) as uow:
            await jobs.finish(uow.connection, import_id, ImportStatus.FAILED, now, exc.message)
        return
    items = checked.items
    async with PgTenantUnitOfWork(pool, schema) as uow:
        await jobs.start(uow.connection, import_id, len(items), checked.ignored_columns, now)
    if on_start is not None:
        on_start(len(items))
    imported = 0
    for end, chunk in _chunks(items, batch_rows):
        imported += await _batch(pool, schema, ctx, end, chunk)
        if on_progress is not None:
            on_progress(len(chunk))
    async with PgTenantUnitOfWork(pool, schema) as uow:
        if imported:
            # Every member's segments are worked out by the worker's next pass.
            await restart_pass(uow)
        await jobs.finish(uow.connection, import_id, ImportStatus.FINISHED, clock.now())


def _chunks(
    items: list[ImportRow | RowError], size: int
) -> Iterator[tuple[int, list[ImportRow | RowError]]]:
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        yield start + len(chunk), chunk


async def _batch(
    pool: asyncpg.Pool,
    schema: str,
    ctx: BatchContext,
    end: int,
    chunk: list[ImportRow | RowError],
) -> int:
    """One transaction: the chunk's rows not written yet, its reported rows, its counts."""
    for attempt in range(_RETRIES):
        try:
            async with PgTenantUnitOfWork(pool, schema) as uow:
                conn = uow.connection
                rows = [item for item in chunk if isinstance(item, ImportRow)]
                done = await done_lines(conn, ctx.import_id, [r.line for r in rows])
                outcome = await write_batch(conn, [r for r in rows if r.line not in done], ctx)
                reported = [item for item in chunk if isinstance(item, RowError)]
                await jobs.record_batch(
                    conn, ctx.import_id, end, outcome.tally, reported + outcome.errors
                )
                return outcome.tally.imported
        except asyncpg.UniqueViolationError:
            if attempt == _RETRIES - 1:
                raise
    return 0  # pragma: no cover - the loop returns or raises


class ImportTasks:
    """The imports this process is running for requests: cancelled when it stops (the worker
    then resumes them)."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def start(self, run: Coroutine[Any, Any, Any]) -> None:
        # A context of its own: nothing of the request (its audit intent) follows the run.
        task = asyncio.create_task(_logged(run), context=contextvars.Context())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def wait(self) -> None:
        """Until every run started here is over (tests)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)


async def _logged(run: Coroutine[Any, Any, Any]) -> None:
    try:
        await run
    except Exception:
        log.exception("member import failed; the worker will resume it")


async def reported_rows(
    pool: asyncpg.Pool, schema: str, import_id: UUID, after_line: int = 0, limit: int = 100_000
) -> list[RowError]:
    async with PgTenantUnitOfWork(pool, schema) as uow:
        return await jobs.row_errors(uow.connection, import_id, after_line, limit)


async def resume_imports(pool: asyncpg.Pool, schema: str, clock: Clock) -> int:
    """The worker's part: imports sent through the API that no live run holds."""
    async with PgTenantUnitOfWork(pool, schema) as uow:
        waiting = await jobs.unfinished(uow.connection)
    resumed = 0
    for import_id in waiting:
        resumed += await run_stored(pool, schema, clock, import_id)
    return resumed
