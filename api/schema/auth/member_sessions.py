"""Members' app sessions: refreshMemberToken (the app) and revokeMemberRefreshTokens (the
store). The refresh token itself is issued with the member token (issueMemberToken with a
deviceId); domain/member_sessions.py holds the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from api.auth.refresh_tokens import hash_refresh_token, new_refresh_token, tenant_of
from api.auth.tokens import issue_member_token
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.members.members import require_member_id
from domain import member_sessions
from domain.errors import DomainError, ErrorCode
from domain.member_tokens import MAX_LIFETIME
from domain.tenant_lifecycle import refuse_inactive
from persistence.uow import PgUnitOfWorkFactory


@strawberry.input
class RefreshMemberTokenInput:
    refresh_token: str = strawberry.field(description="The last refresh token the app got.")
    device_id: str = strawberry.field(description="The device the refresh token is bound to.")


@strawberry.type
class RefreshMemberTokenPayload:
    token: str | None = strawberry.field(default=None, description="A new member token.")
    expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None, description="The next refresh token; the one sent is used up."
    )
    refresh_token_expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeMemberRefreshTokensInput:
    member_id: strawberry.ID | None = None
    external_id: str | None = None
    device_id: str | None = strawberry.field(
        default=None, description="Only this device's; all the member's when omitted."
    )


@strawberry.type
class RevokeMemberRefreshTokensPayload:
    revoked: int | None = strawberry.field(
        default=None, description="How many live refresh tokens were revoked."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


def _refused() -> DomainError:
    return DomainError(
        "Refresh token refused.", field=("refreshToken",), code=ErrorCode.INVALID_CREDENTIALS
    )


@strawberry.type
class MemberSessionMutations:
    @strawberry.mutation(
        description="Exchange a member app's refresh token for a new member token and the next"
        " refresh token (no other credential needed). A refresh token is used once: sending"
        " a used one again revokes every refresh token of that device."
    )
    @returns_payload(RefreshMemberTokenPayload)
    async def refresh_member_token(
        self, info: Info, input: RefreshMemberTokenInput
    ) -> RefreshMemberTokenPayload:
        services = info.context.services
        tenant_id = tenant_of(input.refresh_token)
        tenant = await services.registry.get(tenant_id) if tenant_id is not None else None
        if tenant is None:
            raise _refused()
        if not tenant.active:
            refuse_inactive(tenant.status)
        secret = services.settings.resolved_secret_key
        following = new_refresh_token(tenant.id)
        now = datetime.now(UTC)  # tokens live in wall-clock time, whatever the domain clock says
        rotated = await member_sessions.rotate(
            PgUnitOfWorkFactory(
                services.clusters.of(tenant), tenant.schema_name, services.programs
            ),
            hash_refresh_token(input.refresh_token, secret),
            input.device_id,
            hash_refresh_token(following, secret),
            now,
        )
        token, expires = issue_member_token(
            tenant.id, rotated.member_id, tenant.jwt_secret, MAX_LIFETIME, now
        )
        return RefreshMemberTokenPayload(
            token=token,
            expires_at=expires,
            refresh_token=following,
            refresh_token_expires_at=rotated.refresh_expires_at,
        )

    @strawberry.mutation(
        description="Sign a member's apps out: revoke its refresh tokens, of one device or all."
        " Member tokens already issued live out their hour."
    )
    @returns_payload(RevokeMemberRefreshTokensPayload)
    async def revoke_member_refresh_tokens(
        self, info: Info, input: RevokeMemberRefreshTokensInput
    ) -> RevokeMemberRefreshTokensPayload:
        ctx = info.context
        ctx.require_writer()
        member_id = await require_member_id(info, input.member_id, input.external_id)
        revoked = await member_sessions.revoke(ctx.uow, member_id, input.device_id)
        return RevokeMemberRefreshTokensPayload(revoked=revoked)
