"""`auditLog` of the tenant in X-Tenant, and `agency { auditLog }`: who changed what, newest
first, in keyset pages (domain/audit.py, persistence/audit_log.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.actors import AuditActor
from api.schema.common.ids import to_global_id
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from domain.agency import require_may_read_agency_log
from domain.audit import AuditEntry as AuditRecord
from domain.audit import AuditFilter
from domain.errors import Forbidden
from persistence import audit_log
from persistence.agency_standing import agency_standing


@strawberry.type(description="One recorded change of configuration, credentials or points.")
class AuditEntry:
    actor: AuditActor
    action: str = strawberry.field(description="The mutation, e.g. adjustPoints.")
    target: str | None = strawberry.field(description="What it acted on (an id or a slug).")
    summary: JSON = strawberry.field(description="Its input, secrets left out.")
    at: datetime
    tenant_id: strawberry.ID | None = strawberry.field(
        default=None, description="In the agency's log: the tenant it concerned."
    )
    request_id: str | None = strawberry.field(
        default=None,
        description="The X-Request-Id of the request that made the change (none for changes"
        " made by the command line or the worker).",
    )

    @classmethod
    def of(cls, e: AuditRecord) -> AuditEntry:
        return cls(
            actor=AuditActor.of(e.actor),
            action=e.action,
            target=e.target,
            summary=JSON(e.summary),
            at=e.at,
            tenant_id=strawberry.ID(to_global_id("Tenant", e.tenant_id)) if e.tenant_id else None,
            request_id=e.request_id,
        )


@strawberry.input
class AuditLogFilter:
    actor: str | None = strawberry.field(
        default=None, description="An operator's email or id, or an API key's id or prefix."
    )
    action: str | None = strawberry.field(default=None, description="A mutation's name.")
    from_: datetime | None = strawberry.field(default=None, name="from", description="From.")
    to: datetime | None = strawberry.field(default=None, description="Before this time.")


def _filter(f: AuditLogFilter | None) -> AuditFilter:
    if f is None:
        return AuditFilter()
    return AuditFilter(actor=f.actor, action=f.action, from_=f.from_, to=f.to)


def _seq(e: AuditRecord) -> int:
    return e.seq


async def agency_audit_log(
    info: Info, operator_id: UUID, first: int | None, after: str | None, f: AuditLogFilter | None
) -> Connection[AuditEntry]:
    services = info.context.services
    size = page_size(first, services.settings.max_page_size)
    before = decode_cursor(after)
    operator = await services.control.operator(operator_id)
    if operator is None or operator.agency_id is None:
        raise Forbidden("Only an agency's operators read its audit log.")
    roles, held = await agency_standing(services.pool, operator.id, operator.agency_id)
    require_may_read_agency_log(roles, held)
    found = await audit_log.agency_page(
        services.pool, operator.agency_id, _filter(f), before, size + 1
    )
    return page_of(found, size, after is not None, AuditEntry.of, _seq)


@strawberry.type
class AuditLogQueries:
    @strawberry.field(
        description="Changes made to the tenant in X-Tenant by its operators and secret keys, "
        "newest first (owners and admins)."
    )
    async def audit_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AuditLogFilter | None = None,
    ) -> Connection[AuditEntry]:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        size = page_size(first, ctx.services.settings.max_page_size)
        before = decode_cursor(after)
        found = await audit_log.tenant_page(
            ctx.services.clusters.of(ctx.tenant),
            ctx.tenant.schema_name,
            _filter(filter),
            before,
            size + 1,
        )
        return page_of(found, size, after is not None, AuditEntry.of, _seq)
