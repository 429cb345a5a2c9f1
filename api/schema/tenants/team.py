"""The agency's team: `team`, changeOperatorRole, removeOperator, grantTenantAccess and
revokeTenantAccess. Who may change whom is domain/team.py; the rule table domain/roles.py."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from api.auth.principal import Kind
from api.context import Context, Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.tenants.tenants import OperatorRole
from domain.errors import Forbidden
from domain.roles import Role
from persistence.team_store import TeamMate as TeamMateRecord


def agency_of(ctx: Context) -> tuple[UUID, Role]:
    """The caller's agency and role in it, for an operator."""
    p = ctx.principal
    if p.kind is not Kind.OPERATOR or p.agency_id is None or p.agency_role is None:
        raise Forbidden("Only an agency's operators see and manage its team.")
    return p.agency_id, p.agency_role


@strawberry.type(description="Access of an operator to one of the agency's tenants.")
class TenantAccess:
    tenant_id: strawberry.ID
    slug: str
    name: str
    role: OperatorRole  # type: ignore[valid-type]


@strawberry.type(description="An operator of your agency.")
class TeamMember:
    id: strawberry.ID
    email: str
    name: str | None
    role: OperatorRole = strawberry.field(description="Role in the agency.")  # type: ignore[valid-type]
    created_at: datetime
    tenants: list[TenantAccess] = strawberry.field(description="The tenants it may use.")

    @classmethod
    def of(cls, r: TeamMateRecord) -> TeamMember:
        return cls(
            id=strawberry.ID(to_global_id("Operator", r.id)),
            email=r.email,
            name=r.name,
            role=Role(r.role),
            created_at=r.created_at,
            tenants=[
                TenantAccess(
                    tenant_id=strawberry.ID(to_global_id("Tenant", a.tenant_id)),
                    slug=a.slug,
                    name=a.name,
                    role=Role(a.role),
                )
                for a in r.access
            ],
        )


async def team_member(ctx: Context, agency_id: UUID, operator_id: UUID) -> TeamMember | None:
    mates = await ctx.services.team.team(agency_id)
    return next((TeamMember.of(m) for m in mates if m.id == operator_id), None)


@strawberry.input
class ChangeOperatorRoleInput:
    operator_id: strawberry.ID
    role: OperatorRole  # type: ignore[valid-type]


@strawberry.input
class RemoveOperatorInput:
    operator_id: strawberry.ID


@strawberry.input
class TenantAccessInput:
    operator_id: strawberry.ID
    tenant_id: strawberry.ID


@strawberry.type
class TeamMemberPayload:
    member: TeamMember | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveOperatorPayload:
    removed_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _operator_id(gid: strawberry.ID) -> UUID:
    return uuid_of(gid, "Operator", ("operatorId",))


@strawberry.type
class TeamQueries:
    @strawberry.field(description="Your agency's operators, their roles and tenant access.")
    async def team(self, info: Info) -> list[TeamMember]:
        agency_id, _ = agency_of(info.context)
        return [TeamMember.of(m) for m in await info.context.services.team.team(agency_id)]


@strawberry.type
class TeamMutations:
    @strawberry.mutation(description="Change an operator's role in your agency.")
    @returns_payload(TeamMemberPayload)
    async def change_operator_role(
        self, info: Info, input: ChangeOperatorRoleInput
    ) -> TeamMemberPayload:
        ctx = info.context
        agency_id, actor = agency_of(ctx)
        operator_id = _operator_id(input.operator_id)
        await ctx.services.team.change_role(agency_id, actor, operator_id, Role(input.role))
        return TeamMemberPayload(member=await team_member(ctx, agency_id, operator_id))

    @strawberry.mutation(description="Remove an operator from your agency; its sessions end.")
    @returns_payload(RemoveOperatorPayload)
    async def remove_operator(
        self, info: Info, input: RemoveOperatorInput
    ) -> RemoveOperatorPayload:
        ctx = info.context
        agency_id, actor = agency_of(ctx)
        await ctx.services.team.remove(agency_id, actor, _operator_id(input.operator_id))
        return RemoveOperatorPayload(removed_id=input.operator_id)

    @strawberry.mutation(description="Let an operator of your agency use one of its tenants.")
    @returns_payload(TeamMemberPayload)
    async def grant_tenant_access(self, info: Info, input: TenantAccessInput) -> TeamMemberPayload:
        return await _set_access(info.context, input, granted=True)

    @strawberry.mutation(description="Take an operator's access to one tenant away.")
    @returns_payload(TeamMemberPayload)
    async def revoke_tenant_access(self, info: Info, input: TenantAccessInput) -> TeamMemberPayload:
        return await _set_access(info.context, input, granted=False)


async def _set_access(
    ctx: Context, input: TenantAccessInput, *, granted: bool
) -> TeamMemberPayload:
    agency_id, actor = agency_of(ctx)
    operator_id = _operator_id(input.operator_id)
    tenant_id = uuid_of(input.tenant_id, "Tenant", ("tenantId",))
    await ctx.services.team.set_access(agency_id, actor, operator_id, tenant_id, granted=granted)
    return TeamMemberPayload(member=await team_member(ctx, agency_id, operator_id))
