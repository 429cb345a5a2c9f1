"""adjustPoints: an operator's or a store's manual change of a member's points."""

from __future__ import annotations

import strawberry

from api.audit_hook import acting
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.members.member_type import Member
from api.schema.members.members import member_reference
from api.schema.points.ledger_types import LedgerEntry, Points
from domain.entry_actors import recorded
from domain.ledger import validate_wallet
from domain.points import AdjustPoints, adjust_points


@strawberry.input
class AdjustPointsInput:
    member_id: strawberry.ID | None = None
    external_id: str | None = strawberry.field(
        default=None, description="The member by the store's id, instead of memberId."
    )
    points: int = strawberry.field(description="Positive to add, negative to deduct.")
    wallet: str | None = None
    reason: str | None = strawberry.field(default=None, description="Shown to the member.")
    note: str | None = strawberry.field(default=None, description="Internal, for staff.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retries with the same key and input return the first result.",
    )


@strawberry.type
class AdjustPointsPayload:
    entry: LedgerEntry | None = None
    member: Member | None = None
    points: Points | None = strawberry.field(
        default=None,
        description="The balance right after this change (a replay: as of the first call).",
    )
    replayed: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PointsMutations:
    @strawberry.mutation(description="Add or deduct points by hand, with a reason.")
    @returns_payload(AdjustPointsPayload)
    async def adjust_points(self, info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:
        ctx = info.context
        ctx.require_writer()
        member_id, external_id = member_reference(input.member_id, input.external_id)
        result = await adjust_points(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            AdjustPoints(
                member_id=member_id,
                external_id=external_id,
                points=input.points,
                wallet=validate_wallet(input.wallet),
                reason=input.reason,
                note=input.note,
                idempotency_key=input.idempotency_key,
                actor=recorded(await acting(ctx.services, ctx.principal)),
            ),
        )
        assert result.member is not None  # adjust_points reads the member it changes
        b = result.balance
        return AdjustPointsPayload(
            entry=LedgerEntry.of(result.entry, internal=True),
            member=Member.of(result.member),
            points=Points.of(b) if b else None,
            replayed=result.replayed,
        )
