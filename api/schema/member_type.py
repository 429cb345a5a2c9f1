"""The Member type: a shopper in one tenant's program."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.ids import to_global_id
from api.schema.ledger_types import LedgerEntry, Points
from api.schema.node import Node
from api.schema.pagination import Connection, connection, decode_cursor, page_size
from api.schema.reward_types import AvailableReward, Redemption, Reward
from api.schema.tier_types import MemberTierStanding, TierChange
from domain import members as m
from domain.catalog import list_rewards
from domain.ledger import DEFAULT_WALLET, validate_wallet
from domain.points import read_balance
from domain.ports import RewardFilter
from domain.tier_evaluation import member_standing, member_tier_name

MemberStatus = strawberry.enum(m.MemberStatus, name="MemberStatus")


@strawberry.type(description="A shopper enrolled in the program.")
class Member(Node):
    external_id: str | None = strawberry.field(description="The store's customer id.")
    email: str | None
    name: str | None
    birthday: date | None
    status: MemberStatus  # type: ignore[valid-type]
    enrolled_at: datetime
    referral_code: str
    domain: strawberry.Private[m.Member]

    @classmethod
    def of(cls, member: m.Member) -> Member:
        return cls(
            id=strawberry.ID(to_global_id("Member", member.id)),
            external_id=member.external_id,
            email=member.email,
            name=member.name,
            birthday=member.birthday,
            status=member.status,
            enrolled_at=member.enrolled_at,
            referral_code=member.referral_code,
            domain=member,
        )

    @strawberry.field(description="Link a friend follows to be referred by this member.")
    def referral_url(self, info: Info) -> str:
        base = info.context.services.settings.public_url.rstrip("/")
        return f"{base}/r/{info.context.tenant.slug}/{self.referral_code}"

    @strawberry.field(description="Balance in a wallet; the default wallet when none is named.")
    async def points(self, info: Info, wallet: str | None = None) -> Points:
        ctx = info.context
        balance = await read_balance(
            ctx.uow, ctx.balance_cache, self.domain.id, validate_wallet(wallet)
        )
        return Points.of(balance)

    @strawberry.field(description="Ledger entries, newest first.")
    async def history(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        wallet: str | None = None,
    ) -> Connection[LedgerEntry]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        before = decode_cursor(after)
        async with ctx.uow() as uow:
            entries = await uow.ledger.history(
                self.domain.id, validate_wallet(wallet) if wallet else None, before, size + 1
            )
        internal = ctx.principal.kind is not Kind.MEMBER
        return connection(
            [LedgerEntry.of(e, internal=internal) for e in entries],
            [e.id for e in entries],
            size,
            had_cursor=after is not None,
        )

    @strawberry.field(description="Codes this member redeemed, newest first.")
    async def redemptions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Redemption]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        async with ctx.uow() as uow:
            found = await uow.redemptions.for_member(self.domain.id, decode_cursor(after), size + 1)
        return connection(
            [Redemption.of(x) for x in found], [x.seq for x in found], size, after is not None
        )

    @strawberry.field(
        description="Rewards live now: which the member can redeem, and what the others still need."
    )
    async def available_rewards(self, info: Info, first: int = 50) -> list[AvailableReward]:
        ctx = info.context
        now = ctx.services.clock.now()
        size = page_size(first, ctx.services.settings.max_page_size)
        rewards = await list_rewards(ctx.uow, None, size, RewardFilter(live_at=now))
        balance = await read_balance(ctx.uow, ctx.balance_cache, self.domain.id, DEFAULT_WALLET)
        tier = await member_tier_name(ctx.uow, self.domain.id)
        out = []
        for reward in rewards:
            if not reward.eligible(tier):
                continue
            missing = max(reward.cheapest - balance.spendable, 0)
            out.append(
                AvailableReward(
                    reward=Reward.of(reward), can_redeem=missing == 0, points_missing=missing
                )
            )
        return out

    @strawberry.field(description="The member's tier, the next one up and what keeping it takes.")
    async def tier(self, info: Info) -> MemberTierStanding | None:
        ctx = info.context
        found = await member_standing(ctx.uow, self.domain.id, ctx.services.clock.now())
        return MemberTierStanding.of(found) if found else None

    @strawberry.field(description="Moves between tiers, newest first.")
    async def tier_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TierChange]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        async with ctx.uow() as uow:
            found = await uow.tiers.history(self.domain.id, decode_cursor(after), size + 1)
            tiers = {x.id: x for x in await uow.tiers.all()}
        return connection(
            [TierChange.of(x, tiers) for x in found], [x.id for x in found], size, after is not None
        )
