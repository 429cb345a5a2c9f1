"""Referrals as clients see them: the program's settings, a member's referrals and stats,
and configureReferrals (operators)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import strawberry
from strawberry.types.lazy_type import LazyType

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.enums import LimitPeriod
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.node import Node
from api.schema.common.pagination import Connection, connection, decode_cursor, page_size
from api.schema.common.scalars import BigInt
from api.schema.rewards.reward_types import Reward, reward_by_id
from domain import referral_settings as rs
from domain.partial_updates import PartialUpdate
from domain.reads import referrals as reads
from domain.records import referrals as r
from domain.records.members import Member as DomainMember
from domain.referral_links import referral_link
from domain.referral_program import configure_referrals, current_settings
from domain.viewers import short_name

ReferralStatus = strawberry.enum(r.ReferralStatus, name="ReferralStatus")
ReferralRejectReason = strawberry.enum(
    r.RejectReason, name="ReferralRejectReason", description="Which fraud rule refused it."
)
ReferralTrigger = strawberry.enum(
    rs.ReferralTrigger, name="ReferralTrigger", description="When a referral is rewarded."
)
# Member's module imports this one for the referral fields of a member, so the referee's type
# is named lazily, with no import: strawberry imports that module when it builds the schema,
# and the referee resolver reaches the class the same way.
LAZY_MEMBER: LazyType[str, str] = LazyType("Member", "api.schema.members.member_type")


@cache
def _member_type() -> type[Any]:
    """The Member class, resolved once: resolving looks at files on every call."""
    return LAZY_MEMBER.resolve_type()


@strawberry.type(description="A friend a member brought, and what came of it.")
class Referral(Node):
    status: ReferralStatus  # type: ignore[valid-type]
    reject_reason: ReferralRejectReason | None  # type: ignore[valid-type]
    created_at: datetime
    rewarded_at: datetime | None
    reversed_at: datetime | None = strawberry.field(
        description="When a refund of the qualifying order took the rewards back."
    )
    qualifying_order_id: str | None
    referrer_points: int = strawberry.field(description="Points the referrer was given.")
    referee_points: int = strawberry.field(description="Points the friend was given.")
    domain: strawberry.Private[r.Referral]
    # Loaded with the page that lists the referral, so its rows cost no query each.
    referee_record: strawberry.Private[DomainMember | None] = None
    # Came in a list: its referee is read with the list's other members' fields.
    listed: strawberry.Private[bool] = False

    @classmethod
    def of(
        cls, x: r.Referral, referee: DomainMember | None = None, *, listed: bool = False
    ) -> Referral:
        return cls(
            id=strawberry.ID(to_global_id("Referral", x.id)),
            status=x.status,
            reject_reason=x.reject_reason,
            created_at=x.created_at,
            rewarded_at=x.rewarded_at,
            reversed_at=x.reversed_at,
            qualifying_order_id=x.qualifying_order_id,
            referrer_points=x.referrer_points,
            referee_points=x.referee_points,
            domain=x,
            referee_record=referee,
            listed=listed,
        )

    async def _referee(self, info: Info) -> DomainMember | None:
        if self.referee_record is None:
            self.referee_record = await reads.referee_of(info.context.uow, self.domain)
        return self.referee_record

    @strawberry.field(
        description="The friend; null for a member token, which sees refereeName.",
        graphql_type=LAZY_MEMBER | None,
    )
    async def referee(self, info: Info) -> object | None:
        if not info.context.viewer.sees_member_records:
            return None
        found = await self._referee(info)
        return _member_type().of(found, listed=self.listed) if found else None

    @strawberry.field(description="The friend's first name and initial, e.g. 'Ada L.'.")
    async def referee_name(self, info: Info) -> str | None:
        found = await self._referee(info)
        return short_name(found.name) if found else None


@strawberry.type
class ReferralStats:
    invited: int = strawberry.field(description="Friends who signed up with this member's code.")
    pending: int
    rewarded: int
    rejected: int
    reversed: int
    points_earned: int = strawberry.field(
        description="Points this member was given for referrals that still stand."
    )
    clicks: BigInt = strawberry.field(
        description="Visits of the member's link on the platform (/r/<tenant>/<code>)."
    )


@strawberry.type
class ReferralRewardSetting:
    points: int | None
    reward_id: strawberry.ID | None
    domain: strawberry.Private[rs.ReferralReward]

    @strawberry.field(description="The catalog reward given, when it is one.")
    async def reward(self, info: Info) -> Reward | None:
        if self.domain.reward_id is None:
            return None
        return await reward_by_id(info, self.domain.reward_id)


def _reward_setting(x: rs.ReferralReward | None) -> ReferralRewardSetting | None:
    if x is None:
        return None
    return ReferralRewardSetting(
        points=x.points,
        reward_id=strawberry.ID(to_global_id("Reward", x.reward_id)) if x.reward_id else None,
        domain=x,
    )


@strawberry.type(description="What a referral gives each side, when, and how often.")
class ReferralProgram:
    version: int
    active: bool
    url_template: str | None = strawberry.field(
        description="Template of members' referral links; null uses the platform's own link."
    )
    landing_url: str | None = strawberry.field(
        description="Where the platform's own link sends visitors, with `?ref=<code>` added."
    )
    trigger: ReferralTrigger  # type: ignore[valid-type]
    min_order_value: int = strawberry.field(
        description="Minor units a FIRST_ORDER trigger's order must reach (net of refunds)."
    )
    referrer_reward: ReferralRewardSetting | None
    referee_reward: ReferralRewardSetting | None
    cap: int | None = strawberry.field(description="Rewarded referrals per referrer per period.")
    cap_period: LimitPeriod | None = strawberry.field(  # type: ignore[valid-type]
        description="The cap's calendar period (UTC); null counts forever."
    )


def referral_program_of(s: rs.ReferralSettings) -> ReferralProgram:
    return ReferralProgram(
        version=s.version,
        active=s.active,
        url_template=s.url_template,
        landing_url=s.landing_url,
        trigger=s.trigger,
        min_order_value=s.min_order_minor,
        referrer_reward=_reward_setting(s.referrer_reward),
        referee_reward=_reward_setting(s.referee_reward),
        cap=s.cap,
        cap_period=s.cap_period,
    )


async def referral_node(info: Info, gid: strawberry.ID) -> Referral | None:
    """node(id:) for a Referral: a member token sees only its own, either side."""
    ctx = info.context
    ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
    found = await reads.referral_for(ctx.uow, ctx.viewer, uuid_of(gid, "Referral"))
    return Referral.of(found) if found else None


async def program_referrals(info: Info) -> ReferralProgram:
    return referral_program_of(await current_settings(info.context.uow))


# --- the Member fields (member_type.py delegates here) -------------------------------------


async def referral_url(info: Info, code: str) -> str:
    ctx = info.context
    # One read per request, however many members the query lists.
    memo = getattr(ctx.request.state, "referral_settings", None)
    if memo is None:
        memo = await current_settings(ctx.uow)
        ctx.request.state.referral_settings = memo
    return referral_link(memo, ctx.services.settings.public_url, ctx.tenant.slug, code)


async def member_referrals(
    info: Info, member: DomainMember, first: int | None, after: str | None
) -> Connection[Referral]:
    ctx = info.context
    size = page_size(first, ctx.services.settings.max_page_size)
    page = await reads.referrals_made(ctx.uow, member.id, decode_cursor(after), size + 1)
    found = page.referrals
    return connection(
        [Referral.of(x, page.referees.get(x.referee_id), listed=True) for x in found],
        [x.seq for x in found],
        size,
        after is not None,
    )


async def member_referral_stats(info: Info, member: DomainMember) -> ReferralStats:
    stats = await reads.referral_stats(info.context.uow, member.id)
    return ReferralStats(
        invited=stats.invited,
        pending=stats.pending,
        rewarded=stats.rewarded,
        rejected=stats.rejected,
        reversed=stats.reversed,
        points_earned=stats.points_earned,
        clicks=BigInt(stats.clicks),
    )


async def member_referral(info: Info, member: DomainMember) -> Referral | None:
    found = await reads.referral_of(info.context.uow, member.id)
    return Referral.of(found) if found else None


async def referrer_of(info: Info, member: DomainMember) -> DomainMember | None:
    return await reads.referrer_of(info.context.uow, info.context.viewer, member.id)


# --- configureReferrals --------------------------------------------------------------------


@strawberry.input(description="Exactly one of points and rewardId.")
class ReferralRewardInput:
    points: int | None = None
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="A catalog reward with a fixed pointsCost, given free."
    )


@strawberry.input(description="Only the fields given change.")
class ConfigureReferralsInput:
    active: bool | None = None
    url_template: str | None = strawberry.field(
        default=None,
        description="e.g. 'https://shop.example/?ref={code}'; {tenant} is the tenant's slug.",
    )
    clear_url_template: bool = False
    landing_url: str | None = strawberry.field(
        default=None,
        description="The shop's page for visitors of /r/<tenant>/<code>, e.g. "
        "'https://shop.example/signup'; they arrive with `?ref=<code>` added.",
    )
    clear_landing_url: bool = False
    trigger: ReferralTrigger | None = None  # type: ignore[valid-type]
    min_order_value: int | None = None
    referrer_reward: ReferralRewardInput | None = None
    clear_referrer_reward: bool = False
    referee_reward: ReferralRewardInput | None = None
    clear_referee_reward: bool = False
    cap: int | None = None
    cap_period: LimitPeriod | None = None  # type: ignore[valid-type]
    clear_cap: bool = False


@strawberry.type
class ConfigureReferralsPayload:
    referrals: ReferralProgram | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _reward_of(given: ReferralRewardInput, name: str) -> rs.ReferralReward:
    reward_id = uuid_of(given.reward_id, "Reward", (name, "rewardId")) if given.reward_id else None
    return rs.ReferralReward(points=given.points, reward_id=reward_id)


def _update(i: ConfigureReferralsInput) -> PartialUpdate:
    values: dict[str, object] = dict(
        active=i.active,
        url_template=i.url_template,
        landing_url=i.landing_url,
        trigger=i.trigger,
        min_order_minor=i.min_order_value,
        cap=i.cap,
        cap_period=i.cap_period,
    )
    if i.referrer_reward is not None:
        values["referrer_reward"] = _reward_of(i.referrer_reward, "referrerReward")
    if i.referee_reward is not None:
        values["referee_reward"] = _reward_of(i.referee_reward, "refereeReward")
    cleared = [
        name
        for flag, names in (
            (i.clear_url_template, ("url_template",)),
            (i.clear_landing_url, ("landing_url",)),
            (i.clear_referrer_reward, ("referrer_reward",)),
            (i.clear_referee_reward, ("referee_reward",)),
            (i.clear_cap, ("cap", "cap_period")),
        )
        if flag
        for name in names
    ]
    return PartialUpdate.of(values, cleared)


@strawberry.type
class ReferralMutations:
    @strawberry.mutation(description="Change the referral program; saved as a new version.")
    @returns_payload(ConfigureReferralsPayload)
    async def configure_referrals(
        self, info: Info, input: ConfigureReferralsInput
    ) -> ConfigureReferralsPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        settings = await configure_referrals(
            ctx.uow, ctx.services.clock, _update(input).applied_to, ctx.principal.actor
        )
        return ConfigureReferralsPayload(referrals=referral_program_of(settings))
