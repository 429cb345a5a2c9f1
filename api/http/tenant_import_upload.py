"""POST /imports/tenant?slug=…[&name=…]: a tenant archive (as `exportTenant`'s link or
`loyalty tenant import` reads it) as the request body, made into a new tenant of the
caller's agency (docs/agencies.md, "Tenant archives"). The agency's owners
only. The body is written to a temporary file as it arrives (bounded by
max_tenant_archive_bytes); every file of the archive is checked against its manifest before
anything is written, and the tenant is created and filled in one transaction, so a refused
archive leaves no tenant behind. The answer, 201, names the new tenant; refusals are
answered as GraphQL JSON with a typed code (api/http/upload_admission.py): INVALID for an
archive refused (the message says why), DUPLICATE for a slug taken, FORBIDDEN,
LIMIT_REACHED."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.audit_hook import actor_of
from api.auth.principal import Kind, Principal
from api.http.body_limits import write_body
from api.http.errors import RequestRefused
from api.http.upload_admission import admitted, refusal
from api.schema.common.ids import to_global_id
from api.services import Services
from domain.agency import require_may_import_tenant
from domain.audit import AuditIntent
from domain.errors import DomainError, Forbidden, Unauthenticated
from persistence import audit_trail
from persistence.tenant_archive.importer import import_tenant
from tenants.registry import Tenant


async def upload_tenant_import(request: Request) -> Response:
    services: Services = request.app.state.services
    limit = services.settings.max_tenant_archive_bytes
    return await admitted(request, limit, None, partial(_import, request, services))


async def _import(
    request: Request, services: Services, principal: Principal, request_id: str
) -> Response:
    limit = services.settings.max_tenant_archive_bytes
    try:
        agency_id, operator_id = await _owner(services, principal)
        slug = request.query_params.get("slug")
        if not slug:
            raise DomainError("Name the new tenant: ?slug=…", field=("slug",))
        with tempfile.TemporaryDirectory(prefix="tenant-import-") as folder:
            path = Path(folder) / "archive.zip"
            with path.open("wb") as sink:
                if not await write_body(request.receive, limit, sink.write):
                    return Response(status_code=400)  # the client went away
            tenant = await import_tenant(
                services.pool,
                path,
                slug=slug,
                name=request.query_params.get("name"),
                agency_id=agency_id,
                owner_id=operator_id,
                agency_limit=services.settings.max_tenants_per_agency,
            )
    except RequestRefused as refused:
        return refused.response(request_id)
    except DomainError as exc:
        return refusal(exc, request_id)
    await _record(services, principal, tenant, request_id)
    return JSONResponse(
        {
            "tenant": {
                "id": to_global_id("Tenant", tenant.id),
                "tenantId": str(tenant.id),
                "slug": tenant.slug,
                "name": tenant.name,
            }
        },
        status_code=201,
        headers={"X-Request-Id": request_id},
    )


async def _owner(services: Services, principal: Principal) -> tuple[UUID, UUID]:
    """The caller's agency and id, for an owner of an agency; refused otherwise."""
    if principal.kind is Kind.ANONYMOUS:
        raise Unauthenticated("Authenticate first.")
    if principal.kind is not Kind.OPERATOR or principal.operator_id is None:
        raise Forbidden("Only an agency's owners import tenant archives.")
    operator = await services.control.operator(principal.operator_id)
    if operator is None or operator.agency_id is None:
        raise Forbidden("Only an agency's owners import tenant archives.")
    require_may_import_tenant(operator.role)
    return operator.agency_id, operator.id


async def _record(
    services: Services, principal: Principal, tenant: Tenant, request_id: str
) -> None:
    """In the agency's audit log, as createTenant is: who made which tenant from an archive."""
    intent = AuditIntent(
        await actor_of(services, principal),
        "importTenant",
        tenant.slug,
        {"slug": tenant.slug, "name": tenant.name, "upload": True},
        request_id=request_id,
    )
    await audit_trail.record_in_control(services.pool, intent, tenant.agency_id, tenant.id)
