"""Program templates: saveProgramTemplate, applyProgramTemplate, copyProgram,
deleteProgramTemplate and `programTemplates` (domain/program_templates.py says what applying
changes). Tenants are named by slug or id and must be the operator's, as an owner or admin:
the agency boundary is the operator's memberships."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from asyncpg.pool import PoolConnectionProxy

from api.auth.principal import Kind
from api.context import Context, Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.tenants.team import agency_of
from api.services import Services
from domain.errors import Forbidden
from domain.program_templates import Change, ChangeKind, Snapshot, clean_template_name
from domain.roles import Role
from persistence import audit_trail
from persistence.program_snapshots import apply_snapshot, read_snapshot, require_snapshot
from persistence.program_templates import ProgramTemplates, TemplateRecord
from persistence.uow import PgTenantUnitOfWork
from tenants.registry import Tenant as TenantRecord

ProgramChangeKind = strawberry.enum(
    ChangeKind,
    name="ProgramChangeKind",
    description="ADD: new in the tenant; UPDATE: changed; ARCHIVE: archived, kept for history.",
)


@strawberry.type(description="A saved program of your agency, to apply to its tenants.")
class ProgramTemplate:
    id: strawberry.ID
    name: str
    source_tenant_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime
    tiers: int = strawberry.field(description="Tiers in use it holds.")
    rewards: int = strawberry.field(description="Rewards of the catalog it holds.")
    surveys: int
    segments: int

    @classmethod
    def of(cls, r: TemplateRecord) -> ProgramTemplate:
        s = r.snapshot
        return cls(
            id=strawberry.ID(to_global_id("ProgramTemplate", r.id)),
            name=r.name,
            source_tenant_id=(
                strawberry.ID(to_global_id("Tenant", r.source_tenant_id))
                if r.source_tenant_id
                else None
            ),
            created_at=r.created_at,
            updated_at=r.updated_at,
            tiers=len(s.get("tiers", [])),
            rewards=len(s.get("rewards", [])),
            surveys=len(s.get("surveys", [])),
            segments=len(s.get("segments", [])),
        )


@strawberry.type(description="One thing applying a program changes (or, in a dry run, would).")
class ProgramChange:
    section: str = strawberry.field(
        description="program, referrals, tierSettings, tiers, rewards, surveys or segments."
    )
    key: str = strawberry.field(description="The item: a tier's or reward's name, a key…")
    kind: ProgramChangeKind  # type: ignore[valid-type]
    before: str | None = strawberry.field(description="As JSON text; none for an addition.")
    after: str | None = strawberry.field(description="As JSON text; none for an archive.")

    @classmethod
    def of(cls, c: Change) -> ProgramChange:
        def text(value: Any) -> str | None:
            return None if value is None else json.dumps(value, sort_keys=True, default=str)

        return cls(
            section=c.section,
            key=c.key,
            kind=c.kind,
            before=text(c.before),
            after=text(c.after),
        )


@strawberry.input
class SaveProgramTemplateInput:
    tenant: str = strawberry.field(description="The tenant whose program to save: slug or id.")
    name: str = strawberry.field(description="Saving under a name in use replaces that one.")


@strawberry.type
class SaveProgramTemplatePayload:
    template: ProgramTemplate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ApplyProgramTemplateInput:
    template: strawberry.ID
    tenant: str = strawberry.field(description="The tenant to configure: slug or id.")
    dry_run: bool = strawberry.field(default=False, description="Only say what would change.")


@strawberry.input
class CopyProgramInput:
    from_tenant: str = strawberry.field(description="Slug or id of the tenant to copy.")
    to_tenant: str = strawberry.field(description="Slug or id of the tenant to configure.")
    dry_run: bool = strawberry.field(default=False, description="Only say what would change.")


@strawberry.type
class ProgramChangesPayload:
    changes: list[ProgramChange] = strawberry.field(default_factory=list)
    applied: bool = strawberry.field(
        default=False, description="False for a dry run, or when nothing differs."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteProgramTemplateInput:
    id: strawberry.ID


@strawberry.type
class DeleteProgramTemplatePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def managed_tenant(ctx: Context, ref: str, field: str) -> TenantRecord:
    """The tenant named, if the operator is its owner or admin; FORBIDDEN otherwise, the
    same whether it is another agency's or none."""
    p = ctx.principal
    if p.kind is not Kind.OPERATOR or p.operator_id is None:
        raise Forbidden("Only operators manage programs across tenants.")
    tenant = await ctx.services.registry.by_slug_or_id(ref)
    role = await ctx.services.control.role(p.operator_id, tenant.id) if tenant else None
    if tenant is None or role not in (Role.OWNER, Role.ADMIN):
        raise Forbidden("You manage no such tenant.", field=(field,))
    return tenant


async def snapshot_of(services: Services, tenant: TenantRecord) -> Snapshot:
    async with PgTenantUnitOfWork(services.clusters.of(tenant), tenant.schema_name) as uow:
        return await read_snapshot(uow.connection)


async def apply_to(
    ctx: Context, snapshot: Snapshot, tenant: TenantRecord, dry_run: bool
) -> ProgramChangesPayload:
    services = ctx.services
    async with PgTenantUnitOfWork(services.clusters.of(tenant), tenant.schema_name) as uow:
        changes = await apply_snapshot(
            uow.connection,
            snapshot,
            at=services.clock.now(),
            by=str(ctx.principal.operator_id),
            dry_run=dry_run,
        )
    return ProgramChangesPayload(
        changes=[ProgramChange.of(c) for c in changes], applied=bool(changes) and not dry_run
    )


async def _audit(
    conn: PoolConnectionProxy,
    agency_id: UUID,
    tenant_id: UUID | None,
    before: TemplateRecord | None,
    after: TemplateRecord | None,
) -> None:
    """The change goes in the agency's audit log in its own transaction: the template as it
    was (none when new) and as it is (none when deleted), the snapshot summed up by section."""
    intent = audit_trail.current.get()
    if intent is None:
        return
    made = after or before
    assert made is not None
    intent.target = to_global_id("ProgramTemplate", made.id)
    intent.summary = {**intent.summary, "before": _held(before), "after": _held(after)}
    await audit_trail.record_in_control(conn, intent, agency_id, tenant_id)


def _held(record: TemplateRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    source = record.source_tenant_id
    return {
        "name": record.name,
        "sourceTenantId": to_global_id("Tenant", source) if source else None,
        **{section: len(record.snapshot.get(section, [])) for section in _SECTIONS},
    }


_SECTIONS = ("tiers", "rewards", "surveys", "segments")


def _template_id(gid: strawberry.ID, field: str) -> UUID:
    return uuid_of(gid, "ProgramTemplate", (field,))


@strawberry.type
class ProgramTemplateQueries:
    @strawberry.field(description="Your agency's program templates, by name.")
    async def program_templates(self, info: Info) -> list[ProgramTemplate]:
        agency_id, _ = agency_of(info.context)
        records = await ProgramTemplates(info.context.services.pool).of_agency(agency_id)
        return [ProgramTemplate.of(r) for r in records]


@strawberry.type
class ProgramTemplateMutations:
    @strawberry.mutation(
        description="Save a tenant's program as a named template (owners, admins)."
    )
    @returns_payload(SaveProgramTemplatePayload)
    async def save_program_template(
        self, info: Info, input: SaveProgramTemplateInput
    ) -> SaveProgramTemplatePayload:
        ctx = info.context
        agency_id, _ = agency_of(ctx)
        name = clean_template_name(input.name)
        tenant = await managed_tenant(ctx, input.tenant, "tenant")
        snapshot = await snapshot_of(ctx.services, tenant)
        async with ctx.services.pool.acquire() as conn, conn.transaction():
            templates = ProgramTemplates(conn)
            replaced = await templates.named(agency_id, name)
            record = await templates.save(
                agency_id,
                name,
                snapshot,
                tenant.id,
                ctx.principal.operator_id,  # type: ignore[arg-type]
            )
            await _audit(conn, agency_id, tenant.id, replaced, record)
        return SaveProgramTemplatePayload(template=ProgramTemplate.of(record))

    @strawberry.mutation(
        description="Configure a tenant's program from a template; with dryRun, only say what"
        " would change."
    )
    @returns_payload(ProgramChangesPayload)
    async def apply_program_template(
        self, info: Info, input: ApplyProgramTemplateInput
    ) -> ProgramChangesPayload:
        ctx = info.context
        agency_id, _ = agency_of(ctx)
        template_id = _template_id(input.template, "template")
        tenant = await managed_tenant(ctx, input.tenant, "tenant")
        record = await ProgramTemplates(ctx.services.pool).get(agency_id, template_id)
        return await apply_to(ctx, require_snapshot(record.snapshot), tenant, input.dry_run)

    @strawberry.mutation(
        description="Copy one tenant's program to another of your agency; with dryRun, only"
        " say what would change."
    )
    @returns_payload(ProgramChangesPayload)
    async def copy_program(self, info: Info, input: CopyProgramInput) -> ProgramChangesPayload:
        ctx = info.context
        source = await managed_tenant(ctx, input.from_tenant, "fromTenant")
        target = await managed_tenant(ctx, input.to_tenant, "toTenant")
        snapshot = await snapshot_of(ctx.services, source)
        return await apply_to(ctx, snapshot, target, input.dry_run)

    @strawberry.mutation(description="Delete a template of your agency (owners, admins).")
    @returns_payload(DeleteProgramTemplatePayload)
    async def delete_program_template(
        self, info: Info, input: DeleteProgramTemplateInput
    ) -> DeleteProgramTemplatePayload:
        ctx = info.context
        agency_id, role = agency_of(ctx)
        if role not in (Role.OWNER, Role.ADMIN):
            raise Forbidden("Only the agency's owners and admins delete templates.")
        async with ctx.services.pool.acquire() as conn, conn.transaction():
            deleted = await ProgramTemplates(conn).delete(agency_id, _template_id(input.id, "id"))
            await _audit(conn, agency_id, None, deleted, None)
        return DeleteProgramTemplatePayload(deleted_id=input.id)
