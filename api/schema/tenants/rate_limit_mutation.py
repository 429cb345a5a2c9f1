"""setTenantRateLimit: a tenant's owners and admins lower its request budget, or reset it."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from domain.rate_budget import require_operator_budget


@strawberry.input
class SetTenantRateLimitInput:
    per_minute: int | None = strawberry.field(
        default=None,
        description="Units per minute per credential, at most the platform's default; "
        "null returns to the default.",
    )


@strawberry.type
class SetTenantRateLimitPayload:
    per_minute: int | None = strawberry.field(
        default=None, description="The budget now in force, units per minute per credential."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RateLimitMutations:
    @strawberry.mutation(description="Set the request budget of the tenant in X-Tenant.")
    @returns_payload(SetTenantRateLimitPayload)
    async def set_tenant_rate_limit(
        self, info: Info, input: SetTenantRateLimitInput
    ) -> SetTenantRateLimitPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        default = ctx.services.settings.rate_limit_per_minute
        require_operator_budget(input.per_minute, default)
        await ctx.services.abuse.tenant_limits.set(ctx.tenant.id, input.per_minute)
        return SetTenantRateLimitPayload(per_minute=input.per_minute or default)
