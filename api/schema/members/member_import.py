"""startMemberImport and memberImport(id): members with opening balances from a file, as a
job with progress, its reported rows and a final report (docs/agencies.md, "Importing
members"). Owners and admins of the tenant in X-Tenant."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from api.auth.principal import Kind, Role
from api.context import Context, Info
from api.member_import_runner import create_job, reported_rows, run_stored
from api.schema.common.errors import ErrorCode as ErrorCodeType
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.common.scalars import BigInt
from domain.errors import DomainError, ErrorCode
from domain.member_import import ImportFormat, ImportStatus, RowError
from domain.member_import_files import ImportFile
from persistence import member_import_jobs as jobs
from persistence.uow import PgTenantUnitOfWork

MemberImportStatus = strawberry.enum(
    ImportStatus,
    name="MemberImportStatus",
    description="QUEUED, RUNNING, FINISHED (every row imported, imported before, or "
    "reported), FAILED (the file could not be read: see failure).",
)
MemberImportFormat = strawberry.enum(ImportFormat, name="MemberImportFormat")

_MANAGERS = (Role.OWNER, Role.ADMIN)


@strawberry.type(description="What an import did, row by row, over all its runs.")
class MemberImportReport:
    rows: int = strawberry.field(description="Rows in the file (blank lines aside).")
    imported: int
    already_imported: int = strawberry.field(
        description="Rows whose member this import or an earlier one imported already."
    )
    failed: int = strawberry.field(description="Rows reported in rowErrors, not written.")
    points: BigInt = strawberry.field(description="Opening balances written.")


@strawberry.type(description="A row reported instead of written: nothing of it was imported.")
class MemberImportRowError:
    line: int = strawberry.field(description="The line of the file the row starts on.")
    column: str | None = strawberry.field(description="The column at fault, if one is.")
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str


def _row_error(e: RowError) -> MemberImportRowError:
    return MemberImportRowError(line=e.line, column=e.field, code=e.code, message=e.message)


def _line(e: RowError) -> int:
    return e.line


@strawberry.type(description="An import of members with opening balances from one file.")
class MemberImport:
    job: strawberry.Private[jobs.ImportJob]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("MemberImport", self.job.id))

    @strawberry.field
    def status(self) -> MemberImportStatus:  # type: ignore[valid-type]
        return self.job.status

    @strawberry.field
    def format(self) -> MemberImportFormat:  # type: ignore[valid-type]
        return self.job.format

    @strawberry.field(description="The file's size in bytes.")
    def bytes(self) -> int:
        return self.job.bytes

    @strawberry.field(description="Rows read so far by the current run, of report.rows.")
    def processed_rows(self) -> int:
        return self.job.processed_rows

    @strawberry.field(description="processedRows / rows, from 0 to 1.")
    def progress(self) -> float:
        if self.job.status is ImportStatus.FINISHED:
            return 1.0
        total = self.job.total_rows
        return self.job.processed_rows / total if total else 0.0

    @strawberry.field
    def report(self) -> MemberImportReport:
        t = self.job.tally
        return MemberImportReport(
            rows=t.rows,
            imported=t.imported,
            already_imported=t.already_imported,
            failed=t.failed,
            points=BigInt(t.points),
        )

    @strawberry.field(description="Columns of the file the import does not read.")
    def ignored_columns(self) -> list[str]:
        return list(self.job.ignored_columns)

    @strawberry.field(description="Why a FAILED import could not read its file.")
    def failure(self) -> str | None:
        return self.job.failure

    @strawberry.field
    def created_at(self) -> datetime:
        return self.job.created_at

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return self.job.finished_at

    @strawberry.field(description="The rows reported, by line.")
    async def row_errors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MemberImportRowError]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        line = decode_cursor(after) or 0
        found = await reported_rows(
            ctx.services.clusters.of(ctx.tenant),
            ctx.tenant.schema_name,
            self.job.id,
            line,
            size + 1,
        )
        return page_of(found, size, after is not None, _row_error, _line)


@strawberry.input
class StartMemberImportInput:
    content: str = strawberry.field(
        description="The file: CSV with a header row, or JSON Lines (docs/agencies.md)."
    )
    format: MemberImportFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default: JSONL when the content starts with '{', else CSV."
    )


@strawberry.type
class StartMemberImportPayload:
    member_import: MemberImport | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _require_manager(ctx: Context) -> None:
    ctx.require(Kind.OPERATOR, roles=_MANAGERS)


async def _actor(ctx: Context) -> str | None:
    operator_id = ctx.principal.operator_id
    operator = await ctx.services.control.operator(operator_id) if operator_id else None
    return f"operator:{operator.email}" if operator else None


@strawberry.type
class MemberImportMutations:
    @strawberry.mutation(
        description="Imports members with opening balances from a CSV or JSON Lines file, as "
        "a job: read memberImport(id) for its progress, reported rows and report. The same "
        "file sent again is the same import (resumed, never doubled). Owners and admins."
    )
    @returns_payload(StartMemberImportPayload)
    async def start_member_import(
        self, info: Info, input: StartMemberImportInput
    ) -> StartMemberImportPayload:
        ctx = info.context
        _require_manager(ctx)
        content = input.content.encode()
        if not content.strip():
            raise DomainError("The file is empty.", field=("content",), code=ErrorCode.REQUIRED)
        file = ImportFile.of(content, ImportFormat(input.format) if input.format else None)
        services, schema = ctx.services, ctx.tenant.schema_name
        pool = services.clusters.of(ctx.tenant)
        job = await create_job(
            pool,
            schema,
            file,
            services.clock.now(),
            actor=await _actor(ctx),
            keep_file=True,
        )
        if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            services.imports.start(run_stored(pool, schema, services.clock, job.id))
        return StartMemberImportPayload(member_import=MemberImport(job=job))


@strawberry.type
class MemberImportQueries:
    @strawberry.field(description="An import of the tenant in X-Tenant (owners and admins).")
    async def member_import(self, info: Info, id: strawberry.ID) -> MemberImport | None:
        ctx = info.context
        _require_manager(ctx)
        import_id: UUID = uuid_of(id, "MemberImport")
        async with PgTenantUnitOfWork(
            ctx.services.clusters.of(ctx.tenant), ctx.tenant.schema_name
        ) as uow:
            job = await jobs.get(uow.connection, import_id)
        return MemberImport(job=job) if job is not None else None
