"""The stamp card as clients see it: the program's card, and one member's progress on it."""

from __future__ import annotations

from functools import partial
from operator import attrgetter
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.ids import to_global_id
from api.schema.common.lot_expiry import LotExpiry
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.points.ledger_types import ExpiringPoints, LedgerEntry
from api.schema.rewards.reward_types import Reward, reward_by_id
from domain import stamp_card as s
from domain.reads.members import expiring_points, ledger_history
from domain.reads.stamps import StampStanding, member_stamps

_ID = attrgetter("id")


@strawberry.type(
    description="What earns stamps: an order (its paid value at least minOrderValue), each "
    "unit of the lines matching skus or categories, or each recorded action."
)
class StampRule:
    id: str
    stamps: int
    skus: list[str]
    categories: list[str]
    min_order_value: int
    action: str | None = strawberry.field(description="Stamps per recorded action (a visit).")
    active: bool

    @classmethod
    def of(cls, r: s.StampRule) -> StampRule:
        return cls(
            id=r.id,
            stamps=r.stamps,
            skus=list(r.skus),
            categories=list(r.categories),
            min_order_value=r.min_order_minor,
            action=r.action,
            active=r.active,
        )


@strawberry.type(description="A card of stamps that completes into points or a reward.")
class StampCard:
    wallet: str = strawberry.field(description="The wallet stamps are kept in.")
    enabled: bool
    card_size: int = strawberry.field(description="Stamps that complete one card.")
    rules: list[StampRule]
    reward_points: int | None = strawberry.field(description="Points a full card gives.")
    reward_id: strawberry.ID | None = strawberry.field(
        description="The catalog reward a full card issues a code for."
    )
    expiry: LotExpiry | None = strawberry.field(description="When each stamp expires.")
    resets: bool = strawberry.field(
        description="A full card starts a new one (extra stamps carry over); else it "
        "completes once."
    )
    reward_uuid: strawberry.Private[UUID | None] = None

    @classmethod
    def of(cls, c: s.StampCard | None) -> StampCard | None:
        if c is None:
            return None
        return cls(
            wallet=s.STAMPS_WALLET,
            enabled=c.enabled,
            card_size=c.card_size,
            rules=[StampRule.of(r) for r in c.rules],
            reward_points=c.reward_points,
            reward_id=strawberry.ID(to_global_id("Reward", c.reward_id)) if c.reward_id else None,
            expiry=LotExpiry.of(c.expiry),
            resets=c.resets,
            reward_uuid=c.reward_id,
        )

    @strawberry.field(description="The catalog reward a full card gives, if not points.")
    async def reward(self, info: Info) -> Reward | None:
        return await reward_by_id(info, self.reward_uuid) if self.reward_uuid else None


@strawberry.type(description="A member's stamp card: stamps on the card and cards completed.")
class MemberStamps:
    wallet: str
    enabled: bool = strawberry.field(description="The card earns stamps now.")
    collected: int = strawberry.field(description="Stamps on the current card.")
    card_size: int
    cards_completed: int = strawberry.field(description="Cards completed into their reward.")
    progress: float = strawberry.field(description="Share of the current card collected, 0 to 1.")
    available: int = strawberry.field(
        description='Stamps held, as points(wallet: "stamps"); negative while owed.'
    )
    lifetime: int = strawberry.field(description="Stamps ever earned.")
    member_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, x: StampStanding) -> MemberStamps:
        return cls(
            wallet=s.STAMPS_WALLET,
            enabled=x.card.enabled,
            collected=x.collected,
            card_size=x.card.card_size,
            cards_completed=x.cards_completed,
            progress=x.progress,
            available=x.balance.spendable,
            lifetime=x.balance.lifetime,
            member_id=x.balance.member_id,
        )

    @strawberry.field(description="Stamps that expire within the given days.")
    async def expiring(self, info: Info, within_days: int = 30) -> list[ExpiringPoints]:
        ctx = info.context
        rows = await expiring_points(
            ctx.uow, self.member_id, s.STAMPS_WALLET, ctx.services.clock.now(), within_days
        )
        return [ExpiringPoints(points=p, expires_at=at) for at, p in rows]

    @strawberry.field(description="Entries of the stamps wallet, newest first.")
    async def history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[LedgerEntry]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        entries = await ledger_history(
            ctx.uow, self.member_id, s.STAMPS_WALLET, decode_cursor(after), size + 1
        )
        node = partial(LedgerEntry.of, internal=ctx.viewer.sees_internal_entries)
        return page_of(entries, size, after is not None, node, _ID)


async def stamps_of(info: Info, member_id: UUID | None) -> MemberStamps | None:
    """One member's stamp card as it stands; None without a member or a card."""
    if member_id is None:
        return None
    ctx = info.context
    found = await member_stamps(ctx.uow, ctx.balance_cache, member_id)
    return MemberStamps.of(found) if found else None
