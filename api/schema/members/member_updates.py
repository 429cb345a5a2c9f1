"""`subscription { memberUpdated }`: a member's status, live, over graphql-transport-ws.

The first message is the status when subscribing; after that, one message per change that
committed (points, tier, a redemption issued, used or cancelled), from whichever replica
made it (persistence/member_updates.py). A burst of changes may arrive as one message, and
a wake-up that changed nothing visible sends nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from uuid import UUID

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.members.member_type import Member, MemberTierStanding
from api.schema.members.members import acting_member_id
from api.schema.points.ledger_types import Points
from api.schema.rewards.reward_types import Redemption
from domain.errors import NotFound
from domain.ledger import DEFAULT_WALLET
from domain.points import read_balance
from domain.reads.members import member_by_id, redemptions_of
from domain.tier_evaluation import Standing, member_standing


@strawberry.type(description="A member's status after a change (or when subscribing).")
class MemberUpdate:
    member: Member
    points: Points
    tier: MemberTierStanding | None = strawberry.field(
        description="The member's tier and progress; null when the program has no tiers."
    )
    redemption: Redemption | None = strawberry.field(
        description="The member's newest redemption (a code issued, used or cancelled)."
    )


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a message shows, to send nothing when a wake-up changed none of it."""

    points: tuple[int, int, int]
    tier: Standing | None
    redemption: tuple[str, str] | None


async def _status(info: Info, member_id: UUID) -> tuple[MemberUpdate, _Seen]:
    ctx = info.context
    found = await member_by_id(ctx.uow, member_id)
    if found is None:  # erased meanwhile
        raise NotFound("No such member.", field=("memberId",))
    balance = await read_balance(ctx.uow, ctx.balance_cache, member_id, DEFAULT_WALLET)
    standing = await member_standing(ctx.uow, member_id, ctx.services.clock.now())
    newest = await redemptions_of(ctx.uow, member_id, None, 1)
    tier = MemberTierStanding.of(standing) if standing else None
    redemption = Redemption.of(newest[0]) if newest else None
    update = MemberUpdate(
        member=Member.of(found), points=Points.of(balance), tier=tier, redemption=redemption
    )
    seen = _Seen(
        (balance.available, balance.pending, balance.lifetime),
        standing,
        (redemption.code, str(redemption.status)) if redemption else None,
    )
    return update, seen


@strawberry.type
class MemberSubscriptions:
    @strawberry.subscription(
        description="The member's status now, then again after each change. A member token "
        "watches its own member; a secret key names one (memberId or externalId)."
    )
    async def member_updated(
        self,
        info: Info,
        member_id: strawberry.ID | None = None,
        external_id: str | None = None,
    ) -> AsyncGenerator[MemberUpdate, None]:
        ctx = info.context
        ctx.require(Kind.MEMBER, Kind.SECRET_KEY, Kind.OPERATOR, roles=ctx.reader_roles)
        watched = await acting_member_id(info, member_id, external_id)
        hub = ctx.services.member_updates
        assert hub is not None  # Services.start always makes one
        async with hub.watch(ctx.balance_cache.prefix, watched) as watch:
            update, last = await _status(info, watched)
            yield update
            while True:
                await watch.changed()
                update, seen = await _status(info, watched)
                if seen != last:
                    last = seen
                    yield update
