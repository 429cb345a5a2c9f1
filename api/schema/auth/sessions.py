"""An operator's own sessions and password: logout, changePassword, operatorSessions,
revokeOperatorSession."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from api.auth.principal import Kind
from api.context import Context, Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from domain.errors import Forbidden, NotFound
from domain.operator_login import change_password
from persistence.operator_sessions import SessionRecord


@strawberry.type(description="A login of yours: each device or browser has its own.")
class OperatorSession:
    id: strawberry.ID
    created_at: datetime
    last_seen_at: datetime = strawberry.field(description="Within a minute.")
    expires_at: datetime
    user_agent: str | None = strawberry.field(description="As the browser sent it at login.")
    current: bool = strawberry.field(description="The session of this request.")

    @classmethod
    def of(cls, r: SessionRecord, current: UUID | None) -> OperatorSession:
        return cls(
            id=strawberry.ID(to_global_id("OperatorSession", r.id)),
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            expires_at=r.expires_at,
            user_agent=r.user_agent,
            current=r.id == current,
        )


def operator_of(ctx: Context) -> tuple[UUID, UUID]:
    """The operator of a session, and the session."""
    p = ctx.principal
    if p.kind is not Kind.OPERATOR or p.operator_id is None or p.session_id is None:
        raise Forbidden("Only a logged-in operator has sessions.")
    return p.operator_id, p.session_id


@strawberry.input
class LogoutInput:
    everywhere: bool = strawberry.field(
        default=False, description="End every session of yours, not only this one."
    )


@strawberry.type
class LogoutPayload:
    ended: int = strawberry.field(default=0, description="How many sessions were ended.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangePasswordInput:
    current: str
    new: str = strawberry.field(description="At least 12 characters, not a common password.")


@strawberry.type
class ChangePasswordPayload:
    ended_sessions: int = strawberry.field(
        default=0, description="Your other sessions, ended by the change."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeOperatorSessionInput:
    id: strawberry.ID


@strawberry.type
class RevokeOperatorSessionPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionQueries:
    @strawberry.field(description="Your live sessions, newest first (at most 100).")
    async def operator_sessions(self, info: Info) -> list[OperatorSession]:
        operator_id, session_id = operator_of(info.context)
        records = await info.context.services.sessions.live(operator_id)
        return [OperatorSession.of(r, session_id) for r in records]


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="End this session at once, on every server.")
    @returns_payload(LogoutPayload)
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        operator_id, session_id = operator_of(info.context)
        sessions = info.context.services.sessions
        if input.everywhere:
            return LogoutPayload(ended=await sessions.revoke_others(operator_id, None))
        return LogoutPayload(ended=int(await sessions.revoke(operator_id, session_id)))

    @strawberry.mutation(description="Change your password; your other sessions end.")
    @returns_payload(ChangePasswordPayload)
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        ctx = info.context
        operator_id, session_id = operator_of(ctx)
        services = ctx.services
        operator = await services.control.operator(operator_id)
        if operator is None:
            raise Forbidden("Only a logged-in operator has a password.")
        client = ctx.request.client
        await change_password(
            services.control,
            services.abuse.passwords,  # argon2 off the event loop
            services.abuse.logins,
            operator=operator,
            current=input.current,
            new=input.new,
            address=client.host if client else "unknown",
        )
        ended = await services.sessions.revoke_others(operator_id, session_id)
        return ChangePasswordPayload(ended_sessions=ended)

    @strawberry.mutation(description="End one of your sessions (operatorSessions), at once.")
    @returns_payload(RevokeOperatorSessionPayload)
    async def revoke_operator_session(
        self, info: Info, input: RevokeOperatorSessionInput
    ) -> RevokeOperatorSessionPayload:
        operator_id, _ = operator_of(info.context)
        session_id = uuid_of(input.id, "OperatorSession")
        if not await info.context.services.sessions.revoke(operator_id, session_id):
            raise NotFound("No such live session of yours.", field=("id",))
        return RevokeOperatorSessionPayload()
