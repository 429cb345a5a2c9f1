"""POST /imports/members: a member import's file as the request body, for files larger than
a GraphQL request may be (docs/agencies.md, "Importing members"). The body is the file
(CSV or JSON Lines; `?format=CSV|JSONL` overrides the guess); the answer, 202, names the
import to poll with `memberImport(id:)`. Owners and admins of the tenant in X-Tenant, as for
startMemberImport; refusals are answered as GraphQL JSON with a typed code."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.audit_hook import actor_of
from api.auth.principal import Kind, Principal, Role
from api.http.body_limits import read_body
from api.http.errors import RequestRefused
from api.http.upload_admission import admitted, refusal
from api.member_import_runner import create_job, run_stored
from api.schema.common.ids import to_global_id
from api.services import Services
from domain.audit import AuditIntent
from domain.errors import DomainError, ErrorCode, Forbidden, Unauthenticated
from domain.member_import import ImportFormat, ImportStatus
from domain.member_import_files import ImportFile
from domain.tenant_lifecycle import refuse_inactive
from persistence import audit_trail
from persistence.uow import PgTenantUnitOfWork

_MANAGERS = (Role.OWNER, Role.ADMIN)


async def upload_member_import(request: Request) -> Response:
    services: Services = request.app.state.services
    return await admitted(
        request,
        services.settings.max_import_bytes,
        request.headers.get("x-tenant"),
        partial(_upload, request, services),
    )


async def _upload(
    request: Request, services: Services, principal: Principal, request_id: str
) -> Response:
    limit = services.settings.max_import_bytes
    try:
        if principal.kind is Kind.ANONYMOUS:
            raise Unauthenticated("Authenticate first.")
        tenant = principal.tenant
        if principal.kind is not Kind.OPERATOR or principal.role not in _MANAGERS:
            raise Forbidden("Only a tenant's owners and admins import members.")
        if tenant is None:
            raise Forbidden("Name the tenant in the X-Tenant header.", field=("X-Tenant",))
        refuse_inactive(tenant.status)
        body = await read_body(request.receive, limit)
        if body is None:
            return Response(status_code=400)  # the client went away
        if not body.strip():
            raise DomainError("The file is empty.", code=ErrorCode.REQUIRED)
        asked = request.query_params.get("format")
        if asked is not None and asked.upper() not in ImportFormat.__members__:
            raise DomainError("format must be CSV or JSONL.")
        file = ImportFile.of(body, ImportFormat(asked.upper()) if asked else None)
        operator_id = principal.operator_id
        operator = await services.control.operator(operator_id) if operator_id else None
        job = await create_job(
            services.clusters.of(tenant),
            tenant.schema_name,
            file,
            services.clock.now(),
            actor=f"operator:{operator.email}" if operator else None,
            keep_file=True,
        )
    except RequestRefused as refused:
        return refused.response(request_id)
    except DomainError as exc:
        return refusal(exc, request_id)
    # Recorded as startMemberImport is: who sent which import, without the file.
    summary = {"format": job.format.value, "bytes": job.bytes, "upload": True}
    intent = AuditIntent(
        await actor_of(services, principal),
        "startMemberImport",
        str(job.id),
        summary,
        request_id=request_id,
    )
    async with PgTenantUnitOfWork(services.clusters.of(tenant), tenant.schema_name) as uow:
        await audit_trail.record_in_tenant(uow.connection, intent)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        services.imports.start(
            run_stored(services.clusters.of(tenant), tenant.schema_name, services.clock, job.id)
        )
    return JSONResponse(
        {
            "memberImport": {
                "id": to_global_id("MemberImport", job.id),
                "status": job.status.value,
                "format": job.format.value,
                "bytes": job.bytes,
            }
        },
        status_code=202,
        headers={"X-Request-Id": request_id},
    )
