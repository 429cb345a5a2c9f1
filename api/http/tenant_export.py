"""GET /exports/tenant/<token>: a tenant's archive, streamed, for the link exportTenant gave
(api/auth/export_links.py). Refused with a JSON error (403) when the link is forged or
expired, its session has ended, or its operator is no longer an owner of the tenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.auth.export_links import ExportGrant, verify_export_link
from api.auth.principal import Kind, Principal
from api.http.errors import error_response, request_id
from api.http.rate_limits import RequestLimits
from api.services import Services
from domain.roles import Role
from persistence.tenant_archive.writer import export_tenant
from tenants.registry import Tenant

_REFUSED = "This download link is not valid (expired, or its session ended): ask for a new one."


async def tenant_export(request: Request) -> Response:
    services = request.app.state.services
    rid = request_id(request.scope)
    limits: RequestLimits = request.app.state.graphql.limits
    grant = verify_export_link(services, request.path_params["token"])
    tenant = await services.registry.get(grant.tenant_id) if grant else None
    if grant is None or tenant is None:  # a forged link spends its address's budget
        admission = await limits.refused_route(request.scope)
        return admission.stamp(error_response(403, "FORBIDDEN", _REFUSED, rid))
    # The link's operator's budgets in its tenant, as its session's requests spend them.
    link_holder = Principal(Kind.OPERATOR, tenant=tenant, operator_id=grant.operator_id)
    admission = await limits.admit_route(request.scope, link_holder)
    too_many = admission.refusal(rid)
    if too_many is not None:
        return too_many
    return admission.stamp(await _download(services, grant, tenant, rid))


async def _download(services: Services, grant: ExportGrant, tenant: Tenant, rid: str) -> Response:
    holder = await services.sessions.holder(grant.session_id, grant.operator_id)
    role = await services.control.role(grant.operator_id, grant.tenant_id) if holder else None
    if role != Role.OWNER:
        return error_response(403, "FORBIDDEN", _REFUSED, rid)
    filename = f"{tenant.slug}-{services.clock.now():%Y%m%dT%H%M%SZ}.zip"
    return StreamingResponse(
        export_tenant(services.clusters.of(tenant), tenant),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
            "X-Request-Id": rid,
        },
    )
