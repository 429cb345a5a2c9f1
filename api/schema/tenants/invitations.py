"""inviteOperator and acceptInvitation: a new operator joins an existing agency."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.auth.invitations import invitation_hash, invite
from api.auth.sessions import open_operator_session
from api.context import Info
from api.schema.auth.auth import OperatorAccount
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.tenants.team import TeamMember, agency_of, team_member
from api.schema.tenants.tenants import OperatorRole
from domain.errors import Forbidden
from domain.members import clean_name
from domain.password_strength import require_strong_password
from domain.roles import Power, Role, may
from persistence.team_store import InvitationRecord


@strawberry.type(description="An invitation to join your agency, open until it expires.")
class Invitation:
    id: strawberry.ID
    email: str
    role: OperatorRole  # type: ignore[valid-type]
    tenant_ids: list[strawberry.ID]
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, r: InvitationRecord) -> Invitation:
        return cls(
            id=strawberry.ID(to_global_id("Invitation", r.id)),
            email=r.email,
            role=Role(r.role),
            tenant_ids=[strawberry.ID(to_global_id("Tenant", t)) for t in r.tenant_ids],
            created_at=r.created_at,
            expires_at=r.expires_at,
        )


@strawberry.input
class InviteOperatorInput:
    email: str
    role: OperatorRole  # type: ignore[valid-type]
    tenants: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Tenants of your agency the new operator may use."
    )


@strawberry.type
class InviteOperatorPayload:
    invitation: Invitation | None = None
    token: str | None = strawberry.field(
        default=None,
        description="Give it to the person invited (acceptInvitation). Shown this once.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str = strawberry.field(description="At least 12 characters, not a common one.")
    name: str | None = None


@strawberry.type
class AcceptInvitationPayload:
    operator: OperatorAccount | None = None
    member: TeamMember | None = strawberry.field(
        default=None, description="You, as your agency's team lists you."
    )
    token: str | None = strawberry.field(default=None, description="A session: you are logged in.")
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeInvitationInput:
    id: strawberry.ID


@strawberry.type
class RevokeInvitationPayload:
    revoked_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitationQueries:
    @strawberry.field(
        description="Your agency's invitations not yet accepted nor expired, newest first"
        " (owners and admins)."
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        ctx = info.context
        agency_id, actor = agency_of(ctx)
        if not may(actor, Power.TEAM):
            raise Forbidden("Only the agency's owners and admins see its invitations.")
        pending = await ctx.services.team.pending_invitations(agency_id, ctx.services.clock.now())
        return [Invitation.of(r) for r in pending]


@strawberry.type
class InvitationMutations:
    @strawberry.mutation(
        description="Withdraw an open invitation: its token no longer works (owners; admins"
        " for admins and viewers)."
    )
    @returns_payload(RevokeInvitationPayload)
    async def revoke_invitation(
        self, info: Info, input: RevokeInvitationInput
    ) -> RevokeInvitationPayload:
        ctx = info.context
        agency_id, actor = agency_of(ctx)
        invitation_id = uuid_of(input.id, "Invitation", ("id",))
        await ctx.services.team.revoke_invitation(agency_id, actor, invitation_id)
        return RevokeInvitationPayload(revoked_id=input.id)

    @strawberry.mutation(description="Invite someone to your agency by email (owners, admins).")
    @returns_payload(InviteOperatorPayload)
    async def invite_operator(
        self, info: Info, input: InviteOperatorInput
    ) -> InviteOperatorPayload:
        ctx = info.context
        agency_id, actor = agency_of(ctx)
        record, token = await invite(
            ctx.services,
            agency_id=agency_id,
            inviter_id=ctx.principal.operator_id,  # type: ignore[arg-type]
            inviter_role=actor,
            email=input.email,
            role=Role(input.role),
            tenant_ids=[uuid_of(t, "Tenant", ("tenants",)) for t in (input.tenants or [])],
        )
        return InviteOperatorPayload(invitation=Invitation.of(record), token=token)

    @strawberry.mutation(
        description="Join an agency with an invitation's token: sets your password."
    )
    @returns_payload(AcceptInvitationPayload)
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        ctx = info.context
        services = ctx.services
        name = clean_name(input.name or "") or None
        token_hash = invitation_hash(services, input.token.strip())
        require_strong_password(input.password)
        password_hash = await services.abuse.passwords.hash(input.password)  # off the loop
        operator = await services.team.accept(token_hash, password_hash, name, services.clock.now())
        token, expires = await open_operator_session(
            services, operator.id, ctx.request.headers.get("user-agent")
        )
        return AcceptInvitationPayload(
            operator=OperatorAccount(
                id=strawberry.ID(str(operator.id)), email=operator.email, name=operator.name
            ),
            member=await team_member(ctx, operator.agency_id, operator.id),  # type: ignore[arg-type]
            token=token,
            expires_at=expires,
        )
