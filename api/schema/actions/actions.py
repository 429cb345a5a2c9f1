"""recordAction: points for what a member did (review, follow, share, custom events)."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.members.members import require_member_id
from api.schema.points.ledger_types import LedgerEntry, Points
from api.schema.stamps.stamp_types import MemberStamps, stamps_of
from domain.actions import record_action


@strawberry.input
class RecordActionInput:
    member_id: strawberry.ID | None = None
    external_id: str | None = None
    action: str = strawberry.field(description="A key of the program's actions, e.g. 'review'.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="E.g. the review's id: a retry never pays twice."
    )


@strawberry.type
class RecordActionPayload:
    entry: LedgerEntry | None = None
    points: Points | None = None
    replayed: bool = False
    stamps_delta: int = strawberry.field(
        default=0, description="Stamps this call moved (0 when the program has no stamp card)."
    )
    member_id: strawberry.Private[UUID | None] = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(description="The member's stamp card after this call; null without one.")
    async def stamps(self, info: Info) -> MemberStamps | None:
        return await stamps_of(info, self.member_id)


@strawberry.type
class ActionMutations:
    @strawberry.mutation(description="Award a program action's points, within its limits.")
    @returns_payload(RecordActionPayload)
    async def record_action(self, info: Info, input: RecordActionInput) -> RecordActionPayload:
        ctx = info.context
        ctx.require_writer()
        member_id = await require_member_id(info, input.member_id, input.external_id)
        result = await record_action(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            member_id=member_id,
            action=input.action,
            idempotency_key=input.idempotency_key,
        )
        return RecordActionPayload(
            entry=LedgerEntry.of(result.entry, internal=True),
            points=Points.of(result.balance) if result.balance else None,
            replayed=result.replayed,
            stamps_delta=result.stamps,
            member_id=member_id,
        )
