"""GET /exports/tenant/<token>: a tenant's archive, streamed, for the link exportTenant gave
(api/auth/export_links.py). Refused with a JSON error (403) when the link is forged or
expired, its session has ended, or its operator is no longer an owner of the tenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.auth.export_links import verify_export_link
from api.http.errors import error_response, request_id
from domain.roles import Role
from persistence.tenant_archive.writer import export_tenant

_REFUSED = "This download link is not valid (expired, or its session ended): ask for a new one."


async def tenant_export(request: Request) -> Response:
    services = request.app.state.services
    rid = request_id(request.scope)
    grant = verify_export_link(services, request.path_params["token"])
    if (
        grant is not None
        and await services.sessions.holder(grant.session_id, grant.operator_id) is None
    ):
        grant = None
    role = await services.control.role(grant.operator_id, grant.tenant_id) if grant else None
    tenant = await services.registry.get(grant.tenant_id) if grant else None
    if grant is None or tenant is None or role != Role.OWNER:
        return error_response(403, "FORBIDDEN", _REFUSED, rid)
    filename = f"{tenant.slug}-{services.clock.now():%Y%m%dT%H%M%SZ}.zip"
    return StreamingResponse(
        export_tenant(services.pool, tenant),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
            "X-Request-Id": rid,
        },
    )
