"""configureAllowedOrigins: the browser origins whose pages may call the API for a tenant
(api/http/cors.py)."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.tenants.tenants import Tenant
from domain.errors import NotFound
from domain.origins import MAX_ALLOWED_ORIGINS, canonical_origins


@strawberry.input
class ConfigureAllowedOriginsInput:
    origins: list[str] = strawberry.field(
        description=f"The whole list (it replaces the current one), at most"
        f" {MAX_ALLOWED_ORIGINS}: scheme://host[:port], https (http only for localhost in"
        " production), no path or wildcard. Empty: no browser page may call."
    )


@strawberry.type
class ConfigureAllowedOriginsPayload:
    tenant: Tenant | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AllowedOriginsMutations:
    @strawberry.mutation(
        description="Set the browser origins of the tenant in X-Tenant (owners and admins)."
    )
    @returns_payload(ConfigureAllowedOriginsPayload)
    async def configure_allowed_origins(
        self, info: Info, input: ConfigureAllowedOriginsInput
    ) -> ConfigureAllowedOriginsPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        origins = canonical_origins(input.origins, production=ctx.services.settings.production)
        tenant = ctx.tenant
        if await ctx.services.origins.configure(tenant.id, origins) is None:
            raise NotFound("No such tenant.")
        return ConfigureAllowedOriginsPayload(tenant=Tenant.of(tenant, ctx.principal.role))
