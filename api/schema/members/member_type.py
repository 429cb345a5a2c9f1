"""The Member type: a shopper in one tenant's program."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from operator import attrgetter
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import strawberry

from api.context import Context, Info
from api.member_loaders import MemberBatch
from api.schema.common.ids import to_global_id
from api.schema.common.node import Node
from api.schema.common.pagination import Connection, connection, decode_cursor, page_of, page_size
from api.schema.members.member_by_id import MemberById
from api.schema.orders.order_types import Order, decode_order_cursor, order_page
from api.schema.points.ledger_types import LedgerEntry, Points
from api.schema.referrals import referrals as referral_fields
from api.schema.referrals.referrals import Referral, ReferralStats
from api.schema.rewards.reward_types import AvailableReward, Redemption, RedemptionStatus, Reward
from api.schema.stamps.stamp_types import MemberStamps, stamps_of
from api.schema.surveys.survey_types import SurveyResponse, member_survey_responses
from api.schema.tiers.tier_types import MemberTierStanding, TierChange, TierCheckout
from domain.catalog import Availability
from domain.ledger import Balance, validate_wallet
from domain.points import read_balance
from domain.reads import members as reads
from domain.reads.orders import orders_of_members
from domain.reads.rewards import rewards_in_reach
from domain.reads.segments import segments_of_members
from domain.records import members as m
from domain.tier_checkout import cart_tier_discount
from domain.tier_evaluation import Standing, member_standing
from engine.assemble import assemble
from engine.markers import BATCHED

_ID = attrgetter("id")
F = TypeVar("F")  # what a page's batch read holds for one member
A = TypeVar("A")  # a member's answer to the field

MemberStatus = strawberry.enum(m.MemberStatus, name="MemberStatus")


# Batch resolvers of a page's `points`, `tier` and `availableRewards`
# (engine/query_plan.py, `BATCHED`): the field for every member of the page in one call,
# read with the page's batch. None when the members share no batch: each member's resolver
# then answers for it.

# Rewards listed when `availableRewards` is not given `first`.
_REWARDS_SHOWN = 50


def _points_of_page(
    members: list[Member], ctx: Context, arguments: dict[str, Any]
) -> list[Points] | Awaitable[list[Points]] | None:
    batch = _page_batch(members)
    if batch is None:
        return None
    wallet = validate_wallet(arguments.get("wallet"))
    return _each_member(
        members,
        batch.balances_read(wallet),
        lambda: batch.balances(ctx.member_loaders, wallet),
        Points.of,
    )


def _tiers_of_page(
    members: list[Member], ctx: Context, arguments: dict[str, Any]
) -> list[MemberTierStanding | None] | Awaitable[list[MemberTierStanding | None]] | None:
    batch = _page_batch(members)
    if batch is None:
        return None
    return _each_member(
        members, batch.standings_read(), lambda: batch.standings(ctx.member_loaders), _standing
    )


def _available_rewards_of_page(
    members: list[Member], ctx: Context, arguments: dict[str, Any]
) -> list[list[AvailableReward]] | Awaitable[list[list[AvailableReward]]] | None:
    batch = _page_batch(members)
    if batch is None:
        return None
    size = page_size(arguments.get("first", _REWARDS_SHOWN), ctx.services.settings.max_page_size)
    return _each_member(
        members,
        batch.offers_read(size),
        lambda: batch.offers(ctx.member_loaders, size),
        _rewards_offered,
    )


def _each_member(
    members: list[Member],
    read: Mapping[UUID, F] | None,
    reading: Callable[[], Awaitable[Mapping[UUID, F]]],
    answer: Callable[[F], A],
) -> list[A] | Awaitable[list[A]]:
    """Each member's answer from the page's batch: at once when it is `read`, else once
    `reading` it is done."""
    if read is None:
        return _each_member_later(members, reading(), answer)
    return [answer(read[x.member_id]) for x in members]


async def _each_member_later(
    members: list[Member], reading: Awaitable[Mapping[UUID, F]], answer: Callable[[F], A]
) -> list[A]:
    read = await reading
    return [answer(read[x.member_id]) for x in members]


def _standing(found: Standing | None) -> MemberTierStanding | None:
    return MemberTierStanding.of(found) if found else None


def _rewards_offered(found: list[Availability]) -> list[AvailableReward]:
    return [
        AvailableReward(
            reward=Reward.of(a.reward),
            can_redeem=a.can_redeem,
            points_missing=a.points_missing,
            limit_reached=a.limit_reached,
        )
        for a in found
    ]


def _assembled(
    cls: type[Member], member: m.Member, listed: bool, batch: MemberBatch | None
) -> Member:
    member_id = member.id
    return assemble(
        cls,
        {
            "id": to_global_id("Member", member_id),  # strawberry.ID(x) is x
            "external_id": member.external_id,
            "email": member.email,
            "name": member.name,
            "birthday": member.birthday,
            "status": member.status,
            "enrolled_at": member.enrolled_at,
            "referral_code": member.referral_code,
            "domain": member,
            "member_id": member_id,
            "batch": batch,
            "listed": listed,
        },
    )


def _page_batch(members: list[Member]) -> MemberBatch | None:
    """The batch all these members share, if they do."""
    batch = members[0].batch if members else None
    if batch is None or any(x.batch is not batch for x in members):
        return None
    return batch


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
    member_id: strawberry.Private[UUID]
    # Came in a list: its points and tier are read with the list's other members, by the
    # page's batch, else by the request's DataLoaders (api/member_loaders.py).
    batch: strawberry.Private[MemberBatch | None] = None
    listed: strawberry.Private[bool] = False
    # A balance read with the member's name (MemberById only): a row is read on its own.
    read_with_name: ClassVar[Balance | None] = None

    @classmethod
    def of(
        cls, member: m.Member, *, listed: bool = False, batch: MemberBatch | None = None
    ) -> Member:
        return _assembled(cls, member, listed, batch)

    @classmethod
    def of_page(cls, members: Sequence[m.Member]) -> Callable[[m.Member], Member]:
        """Members of one page, sharing its batch."""
        batch = MemberBatch([x.id for x in members])

        def page_member(member: m.Member) -> Member:
            return _assembled(cls, member, True, batch)  # fifty per page: no keywords

        return page_member

    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        # A MemberById answers as a Member: the fields that it is returned for (the id and
        # the id-keyed resolvers below, `self: Member | MemberById`) read nothing else.
        return isinstance(obj, (Member, MemberById))

    @strawberry.field(
        description="Link a friend follows to be referred by this member (the program's "
        "urlTemplate, else the platform's own link)."
    )
    async def referral_url(self, info: Info) -> str:
        return await referral_fields.referral_url(info, self.referral_code)

    @strawberry.field(description="Friends this member referred, newest first.")
    async def referrals(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Referral]:
        return await referral_fields.member_referrals(info, self.domain, first, after)

    @strawberry.field(description="Counts of this member's referrals, and the points they gave.")
    async def referral_stats(self, info: Info) -> ReferralStats:
        return await referral_fields.member_referral_stats(info, self.domain)

    @strawberry.field(description="How this member was referred, if they were.")
    async def referral(self, info: Info) -> Referral | None:
        return await referral_fields.member_referral(info, self.domain)

    @strawberry.field(description="The member who referred this one; null for a member token.")
    async def referred_by(self, info: Info) -> Member | None:
        found = await referral_fields.referrer_of(info, self.domain)
        return Member.of(found, listed=self.listed) if found else None

    @strawberry.field(
        description="Balance in a wallet; the default wallet when none is named.",
        metadata={BATCHED: _points_of_page},
        graphql_type=Points,
    )
    def points(
        self: Member | MemberById, info: Info, wallet: str | None = None
    ) -> Points | Awaitable[Points]:
        # Not a coroutine when this member's page has read its balances already: the other
        # forty-nine members of a page answer without one (graphql-core awaits the rest).
        # The annotation says both, so the field's GraphQL type is `graphql_type`.
        name = validate_wallet(wallet)
        if self.batch is not None:
            read = self.batch.balances_read(name)
            if read is not None:
                return Points.of(read[self.member_id])
        known = self.read_with_name
        if known is not None and known.wallet == name:
            return Points.of(known)
        return _read_points(self, info, name)

    @strawberry.field(
        description="The member's stamp card; null when the program has none. "
        'points(wallet: "stamps") reads the same wallet.'
    )
    async def stamps(self, info: Info) -> MemberStamps | None:
        ctx = info.context
        if self.batch is not None:  # one read for the page's members
            found = (await self.batch.stamps(ctx.member_loaders))[self.member_id]
            return MemberStamps.of(found) if found else None
        return await stamps_of(info, self.member_id)

    @strawberry.field(description="Ledger entries, newest first.")
    async def history(
        self: Member | MemberById,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        wallet: str | None = None,
    ) -> Connection[LedgerEntry]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        before = decode_cursor(after)
        entries = await reads.ledger_history(
            ctx.uow, self.member_id, validate_wallet(wallet) if wallet else None, before, size + 1
        )
        node = partial(LedgerEntry.of, internal=ctx.viewer.sees_internal_entries)
        return page_of(entries, size, after is not None, node, _ID)

    @strawberry.field(
        description="Orders of this member, newest placed first: the purchase history. A "
        "page of members reads every member's in one statement."
    )
    async def orders(
        self: Member | MemberById, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        position = decode_order_cursor(after)
        if self.batch is not None:
            found = await self.batch.orders(ctx.member_loaders, ctx.viewer, position, size + 1)
        else:
            found = await orders_of_members(
                ctx.uow, ctx.viewer, [self.member_id], position, size + 1
            )
        return order_page(found[self.member_id], size, after is not None)

    @strawberry.field(description="This member's survey answers, newest first.")
    async def survey_responses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SurveyResponse]:
        return await member_survey_responses(info, self.member_id, first, after)

    @strawberry.field(description="Keys of the segments the member is in, kept current.")
    async def segments(self, info: Info) -> list[str]:
        ctx = info.context
        if self.batch is not None:  # one read for the page's members
            held = await self.batch.segments(ctx.member_loaders)
        else:
            held = await segments_of_members(ctx.uow, [self.member_id])
        return sorted(held[self.member_id])

    @strawberry.field(description="Codes this member redeemed, newest first.")
    async def redemptions(
        self: Member | MemberById,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[RedemptionStatus] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Redemption]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await reads.redemptions_of(
            ctx.uow, self.member_id, decode_cursor(after), size + 1, tuple(status or ())
        )
        return connection(
            [Redemption.of(x) for x in found], [x.seq for x in found], size, after is not None
        )

    @strawberry.field(
        description="Rewards live now: which the member can redeem, and what the others still "
        "need.",
        metadata={BATCHED: _available_rewards_of_page},
        graphql_type=list[AvailableReward],
    )
    def available_rewards(
        self: Member | MemberById, info: Info, first: int = _REWARDS_SHOWN
    ) -> list[AvailableReward] | Awaitable[list[AvailableReward]]:
        # As `points`: not a coroutine once this member's page has read its rewards.
        size = page_size(first, info.context.services.settings.max_page_size)
        if self.batch is not None:
            read = self.batch.offers_read(size)
            if read is not None:
                return _rewards_offered(read[self.member_id])
        return _read_available_rewards(self, info, size)

    @strawberry.field(
        description="What the member's tier takes off a cart of `subtotal` minor units "
        "with no code (null: no tier); validateCode answers it for a cart with a code."
    )
    async def tier_checkout(
        self: Member | MemberById, info: Info, subtotal: int
    ) -> TierCheckout | None:
        found = await cart_tier_discount(info.context.uow, self.member_id, subtotal)
        return TierCheckout.of(found) if found is not None else None

    @strawberry.field(
        description="The member's tier, the next one up and what keeping it takes.",
        metadata={BATCHED: _tiers_of_page},
        graphql_type=MemberTierStanding | None,
    )
    def tier(
        self: Member | MemberById, info: Info
    ) -> MemberTierStanding | Awaitable[MemberTierStanding | None] | None:
        # As `points`: not a coroutine once this member's page has read its standings.
        if self.batch is not None:
            read = self.batch.standings_read()
            if read is not None:
                return _standing(read[self.member_id])
        return _read_tier(self, info)

    @strawberry.field(description="Moves between tiers, newest first.")
    async def tier_history(
        self: Member | MemberById, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TierChange]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        read = await reads.tier_moves(ctx.uow, self.member_id, decode_cursor(after), size + 1)
        found = read.moves
        return connection(
            [TierChange.of(x, read.tiers) for x in found],
            [x.id for x in found],
            size,
            after is not None,
        )


# What `points`, `availableRewards` and `tier` wait for when the member's page has not read it.


async def _read_points(member: Member | MemberById, info: Info, wallet: str) -> Points:
    ctx = info.context
    if member.batch is not None:
        found = (await member.batch.balances(ctx.member_loaders, wallet))[member.member_id]
    elif member.listed:
        found = await ctx.member_loaders.balance(member.member_id, wallet)
    else:
        found = await read_balance(ctx.uow, ctx.balance_cache, member.member_id, wallet)
    return Points.of(found)


async def _read_available_rewards(
    member: Member | MemberById, info: Info, size: int
) -> list[AvailableReward]:
    ctx = info.context
    if member.batch is not None:
        found = (await member.batch.offers(ctx.member_loaders, size))[member.member_id]
        return _rewards_offered(found)
    found = await rewards_in_reach(
        ctx.uow, ctx.balance_cache, member.member_id, ctx.services.clock.now(), size
    )
    return _rewards_offered(found)


async def _read_tier(member: Member | MemberById, info: Info) -> MemberTierStanding | None:
    ctx = info.context
    if member.batch is not None:
        found = (await member.batch.standings(ctx.member_loaders))[member.member_id]
    elif member.listed:
        found = await ctx.member_loaders.standing(member.member_id)
    else:
        found = await member_standing(ctx.uow, member.member_id, ctx.services.clock.now())
    return _standing(found)
