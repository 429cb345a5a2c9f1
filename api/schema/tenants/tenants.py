"""Agencies and tenants: createTenant, API keys and `agency { tenants }`."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import strawberry

from api.auth.keys import display_prefix, hash_key, new_key
from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.analytics.analytics import DefaultInterval, From, To, analytics_of
from api.schema.analytics.types import Analytics
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.node import Node
from api.schema.common.pagination import Connection
from api.schema.tenants.audit_log import AuditEntry, AuditLogFilter, agency_audit_log
from api.settings import Settings
from domain.agency import require_may_create_tenant
from domain.errors import DomainError, Forbidden, NotFound
from domain.tenant_lifecycle import deletable_at, listed_by_default
from persistence import migrator
from persistence.agency_standing import agency_standing
from persistence.control_store import ApiKeyRecord
from persistence.program_snapshots import applying, require_snapshot
from persistence.program_templates import ProgramTemplates
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant
from tenants.registry import Tenant as TenantRecord

OperatorRole = strawberry.enum(Role, name="OperatorRole")


def grace_period(settings: Settings) -> timedelta:
    return timedelta(days=settings.tenant_delete_grace_days)


@strawberry.enum
class ApiKeyKind(StrEnum):
    SECRET = "SECRET"
    PUBLISHABLE = "PUBLISHABLE"


@strawberry.type(description="A merchant's program, as the agency sees it.")
class Tenant(Node):
    slug: str
    name: str
    status: str = strawberry.field(description="ACTIVE, SUSPENDED or ARCHIVED.")
    created_at: datetime
    status_reason: str | None = strawberry.field(
        default=None, description="Why it was suspended or archived."
    )
    suspended_at: datetime | None = None
    archived_at: datetime | None = None
    tenant_id: strawberry.Private[UUID]
    schema_name: strawberry.Private[str]
    placement: strawberry.Private[str]
    role: OperatorRole | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Your role on this tenant."
    )

    @strawberry.field(
        description="Browser origins (scheme://host[:port]) whose pages may call the API for"
        " this tenant and read its answers (configureAllowedOrigins)."
    )
    async def allowed_origins(self, info: Info) -> list[str]:
        return sorted(await info.context.services.origins.of_tenant(self.tenant_id))

    @strawberry.field(description="The tenant's KPIs over a period, as `analytics` gives them.")
    async def analytics(
        self, info: Info, from_: From, to: To, interval: DefaultInterval = None
    ) -> Analytics:
        ctx = info.context
        # A Tenant is only ever built for an operator's own memberships (role set): the
        # check keeps it so should another path ever hand one out.
        if ctx.principal.kind is not Kind.OPERATOR or self.role is None:
            raise Forbidden("Only the tenant's operators read its analytics.")
        uow = PgUnitOfWorkFactory(
            ctx.services.clusters.pool(self.placement), self.schema_name, ctx.services.programs
        )
        return await analytics_of(uow, from_, to, interval)

    @classmethod
    def of(cls, t: TenantRecord, role: str | None = None) -> Tenant:
        return cls(
            tenant_id=t.id,
            schema_name=t.schema_name,
            placement=t.placement,
            id=strawberry.ID(to_global_id("Tenant", t.id)),
            slug=t.slug,
            name=t.name,
            status=t.status,
            created_at=t.created_at,
            status_reason=t.status_reason,
            suspended_at=t.suspended_at,
            archived_at=t.archived_at,
            role=Role(role) if role else None,
        )

    @strawberry.field(description="When an archived tenant may be deleted (deleteTenant).")
    def deletable_at(self, info: Info) -> datetime | None:
        return deletable_at(self.archived_at, grace_period(info.context.services.settings))


@strawberry.type
class Agency:
    operator_id: strawberry.Private[object]

    @strawberry.field(description="Tenants you have a role on; archived ones only if asked.")
    async def tenants(self, info: Info, include_archived: bool = False) -> list[Tenant]:
        pairs = await info.context.services.registry.for_operator(self.operator_id)  # type: ignore[arg-type]
        return [
            Tenant.of(t, role)
            for t, role in pairs
            if include_archived or listed_by_default(t.status)
        ]

    @strawberry.field(
        description="The agency's own actions (tenants created, suspended, archived, deleted),"
        " newest first (owners and admins)."
    )
    async def audit_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditLogFilter | None = None,
    ) -> Connection[AuditEntry]:
        return await agency_audit_log(info, self.operator_id, first, after, filter)  # type: ignore[arg-type]


@strawberry.type
class ApiKey(Node):
    kind: ApiKeyKind
    name: str
    prefix: str = strawberry.field(description="The first characters, to recognise the key.")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, r: ApiKeyRecord) -> ApiKey:
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", r.id)),
            kind=ApiKeyKind(r.kind),
            name=r.name,
            prefix=r.prefix,
            created_at=r.created_at,
            revoked_at=r.revoked_at,
        )


@strawberry.type
class TenantQueries:
    @strawberry.field(description="The operator's agency and its tenants.")
    def agency(self, info: Info) -> Agency | None:
        p = info.context.principal
        if p.kind is not Kind.OPERATOR:
            raise Forbidden("Only operators belong to an agency.")
        return Agency(operator_id=p.operator_id)

    @strawberry.field(description="API keys of the tenant in X-Tenant (operators).")
    async def api_keys(self, info: Info) -> list[ApiKey] | None:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        return [ApiKey.of(r) for r in await ctx.services.control.api_keys(ctx.tenant.id)]


@strawberry.input
class CreateTenantInput:
    slug: str = strawberry.field(description="Lowercase letters, digits and hyphens.")
    name: str
    template: strawberry.ID | None = strawberry.field(
        default=None, description="A program template of your agency to configure it with."
    )


@strawberry.type
class CreateTenantPayload:
    tenant: Tenant | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateApiKeyInput:
    kind: ApiKeyKind
    name: str = ""


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(
        default=None, description="The key itself. Shown this once: store it now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantMutations:
    @strawberry.mutation(
        description="Provision a tenant in your agency, open to you (your role) and its owners."
    )
    @returns_payload(CreateTenantPayload)
    async def create_tenant(self, info: Info, input: CreateTenantInput) -> CreateTenantPayload:
        ctx = info.context
        p = ctx.principal
        if p.kind is not Kind.OPERATOR or p.operator_id is None:
            raise Forbidden("Only operators create tenants.")
        services = ctx.services
        operator = await services.control.operator(p.operator_id)
        if operator is None or operator.agency_id is None:
            raise Forbidden("Only an agency's operators create tenants.")
        _, held = await agency_standing(services.pool, operator.id, operator.agency_id)
        require_may_create_tenant([operator.role], held)
        template = (
            await ProgramTemplates(services.pool).get(
                operator.agency_id, uuid_of(input.template, "ProgramTemplate", ("template",))
            )
            if input.template
            else None
        )
        tenant = await create_tenant(
            services.pool,
            migrator=migrator,
            slug=input.slug,
            name=input.name,
            agency_id=operator.agency_id,
            owner_id=operator.id,
            agency_limit=services.settings.max_tenants_per_agency,
            configure=(
                applying(require_snapshot(template.snapshot), services.clock.now(), operator.id)
                if template is not None
                else None
            ),
            placement=await services.clusters.for_new_tenant(),
        )
        return CreateTenantPayload(tenant=Tenant.of(tenant, operator.role))

    @strawberry.mutation(description="A new secret or publishable key for the tenant in X-Tenant.")
    @returns_payload(CreateApiKeyPayload)
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        name = input.name.strip()
        if len(name) > 100:
            raise DomainError("name must be at most 100 characters.", field=("name",))
        key = new_key(input.kind.value)
        record = await ctx.services.control.add_api_key(
            ctx.tenant.id,
            input.kind.value,
            name,
            display_prefix(key),
            hash_key(key, ctx.services.settings.resolved_secret_key),
        )
        return CreateApiKeyPayload(api_key=ApiKey.of(record), key=key)

    @strawberry.mutation(description="Revoke a key of the tenant in X-Tenant, at once.")
    @returns_payload(RevokeApiKeyPayload)
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        record = await ctx.services.control.revoke_api_key(
            ctx.tenant.id, uuid_of(input.id, "ApiKey")
        )
        if record is None:
            raise NotFound("No such key in this tenant.", field=("id",))
        return RevokeApiKeyPayload(api_key=ApiKey.of(record))
