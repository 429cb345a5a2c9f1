"""login (operators) and issueMemberToken (stores, for their shoppers' apps)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import strawberry

from api.auth.passwords import needs_rehash
from api.auth.principal import Kind, operator_signing_key
from api.auth.tokens import issue_member_token, issue_operator_session
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.members.member_type import Member
from api.schema.members.members import require_member
from domain.emails import canonical_email
from domain.errors import DomainError, ErrorCode, RateLimited
from domain.members import require_active


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


@strawberry.type
class IssueMemberTokenPayload:
    token: str | None = None
    expires_at: datetime | None = None
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Operator login with email and password.")
    @returns_payload(LoginPayload)
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        services = ctx.services
        email = canonical_email(input.email)
        client = ctx.request.client
        attempt = services.abuse.logins.attempt(email, client.host if client else "unknown")
        try:
            await attempt.check()  # before any hashing: a locked-out guess costs nothing
            operator = await services.control.operator_by_email(email)
            # argon2 runs even for unknown emails, off the event loop: timing tells nothing.
            password_hash = operator.password_hash if operator else None
            verified = await services.abuse.passwords.verify(password_hash, input.password)
        except RateLimited as exc:
            ctx.response.headers["Retry-After"] = str(exc.retry_after)
            raise
        if not verified:
            await attempt.failed()
            raise DomainError(
                "Wrong email or password.", field=("email",), code=ErrorCode.INVALID_CREDENTIALS
            )
        assert operator is not None
        await attempt.succeeded()
        if needs_rehash(operator.password_hash):
            with contextlib.suppress(RateLimited):  # busy: the next login rehashes it
                rehashed = await services.abuse.passwords.hash(input.password)
                await services.control.set_password_hash(operator.id, rehashed)
        token, expires = issue_operator_session(
            operator.id,
            operator_signing_key(services),
            timedelta(hours=services.settings.operator_session_hours),
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
        if not 1 <= input.expires_in_minutes <= 60:
            raise DomainError("expiresInMinutes must be 1 to 60.", field=("expiresInMinutes",))
        member = await require_member(info, input.member_id, input.external_id)
        require_active(member)
        token, expires = issue_member_token(
            ctx.tenant.id,
            member.id,
            ctx.tenant.jwt_secret,
            timedelta(minutes=input.expires_in_minutes),
            datetime.now(UTC),  # tokens live in wall-clock time, whatever the domain clock says
        )
        return IssueMemberTokenPayload(token=token, expires_at=expires, member=Member.of(member))
