"""login (operators) and issueMemberToken (stores, for their shoppers' apps)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from api.auth.principal import Kind
from api.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from api.auth.sessions import open_operator_session
from api.auth.tokens import issue_member_token
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.members.member_type import Member
from api.schema.members.members import require_member
from domain import member_sessions
from domain.errors import RateLimited
from domain.member_tokens import token_lifetime
from domain.members import require_active
from domain.operator_login import log_in


@strawberry.type
class OperatorAccount:
    id: strawberry.ID
    email: str
    name: str | None


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(default=None, description="Send as a Bearer token.")
    expires_at: datetime | None = None
    operator: OperatorAccount | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class IssueMemberTokenInput:
    member_id: strawberry.ID | None = None
    external_id: str | None = None
    expires_in_minutes: int = strawberry.field(default=60, description="At most 60.")
    device_id: str | None = strawberry.field(
        default=None,
        description="The app's device: with it, a refresh token bound to the member and this"
        " device comes too (refreshMemberToken).",
    )


@strawberry.type
class IssueMemberTokenPayload:
    token: str | None = None
    expires_at: datetime | None = None
    refresh_token: str | None = strawberry.field(
        default=None, description="Only when a deviceId was given; shown once."
    )
    refresh_token_expires_at: datetime | None = None
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Operator login with email and password.")
    @returns_payload(LoginPayload)
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        services = ctx.services
        client = ctx.request.client
        try:
            operator = await log_in(
                services.control,
                services.abuse.passwords,  # argon2 off the event loop
                services.abuse.logins,
                email=input.email,
                password=input.password,
                address=client.host if client else "unknown",
            )
        except RateLimited as exc:
            ctx.response.headers["Retry-After"] = str(exc.retry_after)
            raise
        token, expires = await open_operator_session(
            services, operator.id, ctx.request.headers.get("user-agent")
        )
        return LoginPayload(
            token=token,
            expires_at=expires,
            operator=OperatorAccount(
                id=strawberry.ID(str(operator.id)), email=operator.email, name=operator.name
            ),
        )

    @strawberry.mutation(description="A short-lived token for one member's app (secret key).")
    @returns_payload(IssueMemberTokenPayload)
    async def issue_member_token(
        self, info: Info, input: IssueMemberTokenInput
    ) -> IssueMemberTokenPayload:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY)
        lifetime = token_lifetime(input.expires_in_minutes)
        member = await require_member(info, input.member_id, input.external_id)
        require_active(member)
        now = datetime.now(UTC)  # tokens live in wall-clock time, whatever the domain clock says
        refresh, refresh_expires = None, None
        if input.device_id is not None:
            refresh = new_refresh_token(ctx.tenant.id)
            secret = ctx.services.settings.resolved_secret_key
            async with ctx.uow() as uow:
                refresh_expires = await member_sessions.start(
                    uow, member.id, input.device_id, hash_refresh_token(refresh, secret), now
                )
        token, expires = issue_member_token(
            ctx.tenant.id, member.id, ctx.tenant.jwt_secret, lifetime, now
        )
        return IssueMemberTokenPayload(
            token=token,
            expires_at=expires,
            refresh_token=refresh,
            refresh_token_expires_at=refresh_expires,
            member=Member.of(member),
        )
