"""exportTenant: a short-lived link to download a tenant's archive, for its owners.

A mutation that answers a signed link, rather than a route taking the session's bearer
token, so that a browser can download with a plain link (it cannot add an Authorization
header to a navigation), the request goes through the role table and the audit log like
every other change, and the token that reaches URLs and logs is good for one tenant's
archive for five minutes only, and only while its session lives
(api/auth/export_links.py, api/http/tenant_export.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth.export_links import ExportGrant, issue_export_link
from api.auth.principal import Kind
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from domain.errors import Forbidden
from domain.roles import Role
from persistence import audit_trail


@strawberry.input
class ExportTenantInput:
    tenant: str = strawberry.field(description="The tenant's slug or id.")


@strawberry.type
class ExportTenantPayload:
    url: str | None = strawberry.field(
        default=None,
        description="GET it (no header needed) for the archive: a zip of JSON Lines with a"
        " manifest. Valid for five minutes, while this session lasts.",
    )
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantExportMutations:
    @strawberry.mutation(
        description="A link to download the whole tenant as an archive. Owners only;"
        " recorded in the agency's audit log."
    )
    @returns_payload(ExportTenantPayload)
    async def export_tenant(self, info: Info, input: ExportTenantInput) -> ExportTenantPayload:
        ctx = info.context
        p = ctx.principal
        if p.kind is not Kind.OPERATOR or p.operator_id is None or p.session_id is None:
            raise Forbidden("Only an owner's operator session exports a tenant.")
        services = ctx.services
        tenant = await services.registry.by_slug_or_id(input.tenant)
        role = await services.control.role(p.operator_id, tenant.id) if tenant else None
        if tenant is None or role != Role.OWNER:
            raise Forbidden("Only the tenant's owners export it.", field=("tenant",))
        url, expires = issue_export_link(
            services, ExportGrant(tenant.id, p.operator_id, p.session_id)
        )
        intent = audit_trail.current.get()
        if intent is not None:
            await audit_trail.record_in_control(services.pool, intent, tenant.agency_id, tenant.id)
        return ExportTenantPayload(url=url, expires_at=expires)
