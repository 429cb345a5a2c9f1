"""login (operators) and issueMemberToken (stores, for their shoppers' apps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from api.auth.passwords import hash_password, needs_rehash, verify_password
from api.auth.principal import Kind, operator_signing_key
from api.auth.tokens import issue_member_token, issue_operator_session
from api.context import Info
from api.schema.errors import UserError, returns_payload
from api.schema.member_type import Member
from api.schema.members import require_member
from domain.emails import canonical_email
from domain.errors import DomainError, ErrorCode
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
        services = info.context.services
        operator = await services.control.operator_by_email(canonical_email(input.email))
        # verify_password runs argon2 even for unknown emails: timing tells nothing.
        if not verify_password(operator.password_hash if operator else None, input.password):
            raise DomainError(
                "Wrong email or password.", field=("email",), code=ErrorCode.INVALID_CREDENTIALS
            )
        assert operator is not None
        if needs_rehash(operator.password_hash):
            await services.control.set_password_hash(operator.id, hash_password(input.password))
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
