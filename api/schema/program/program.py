"""`program` (any credential of the tenant) and configureProgram (operators)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.enums import (
    Channel,
    LimitPeriod,
    RefundPolicy,
    Rounding,
    RuleKind,
)
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.lot_expiry import LotExpiry, LotExpiryInput
from api.schema.common.pagination import page_size
from api.schema.program.memberships import PaidMembership, PaidMembershipInput
from api.schema.referrals.referrals import ReferralProgram, program_referrals
from api.schema.rewards.reward_types import Reward, reward_by_id
from api.schema.stamps.stamp_types import StampCard
from api.schema.tiers.tier_types import Tier, TierSettings
from domain import program as p
from domain import program_explained as pe
from domain.configuration import configure_program, current_program
from domain.errors import DomainError
from domain.partial_updates import PartialUpdate
from domain.program_update import updated_program
from domain.reads.program import earning_explained, program_tiers, redeeming_explained
from domain.reads.rewards import live_rewards
from domain.tier_definitions import tier_definitions


@strawberry.type
class EarnRule:
    id: str
    name: str
    kind: RuleKind  # type: ignore[valid-type]
    multiplier: Decimal | None
    points: int | None = strawberry.field(description="Bonus points (per unit on targeted lines).")
    skus: list[str]
    categories: list[str]
    channels: list[Channel]  # type: ignore[valid-type]
    min_order_value: int
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool


@strawberry.type
class ActionRule:
    key: str
    points: int
    once: bool
    max_per_period: int | None
    period: LimitPeriod | None  # type: ignore[valid-type]
    cooldown_hours: int
    active: bool


ExplainedKind = strawberry.enum(pe.ExplainedKind, name="ExplainedKind")


@strawberry.type(description="One line of the program explained to shoppers.")
class ExplainedItem:
    kind: ExplainedKind  # type: ignore[valid-type]
    key: str = strawberry.field(
        description="The earn rule's id, the action's key, the tier's or reward's id; "
        "'base' for the rate on purchases."
    )
    title: str = strawberry.field(description="The tenant's name for it, or the action's.")
    description: str = strawberry.field(description="One sentence, e.g. 'Earn 1 point per $1.'")
    points: int | None = strawberry.field(
        description="Points the action or bonus gives, the tier's threshold, or the "
        "reward's cost (its least for a variable cost)."
    )

    @classmethod
    def of(cls, x: pe.ExplainedItem) -> ExplainedItem:
        return cls(
            kind=x.kind, key=x.key, title=x.title, description=x.description, points=x.points
        )


@strawberry.type(description="What enrolment gives a new member at once.")
class WelcomeOffer:
    award_signup: bool = strawberry.field(
        description="Enrolment awards the signup action's points itself; recording signup "
        "for the member again is then refused."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        description="A catalog reward issued free at enrolment: its code is in the "
        "enrollMember payload."
    )
    domain: strawberry.Private[p.WelcomeOffer]

    @classmethod
    def of(cls, w: p.WelcomeOffer | None) -> WelcomeOffer | None:
        if w is None:
            return None
        return cls(award_signup=w.award_signup, reward_id=_reward_gid(w.reward_id), domain=w)

    @strawberry.field(description="The catalog reward given, when there is one.")
    async def reward(self, info: Info) -> Reward | None:
        if self.domain.reward_id is None:
            return None
        return await reward_by_id(info, self.domain.reward_id)


@strawberry.type(description="A birthday gift of one tier.")
class TierGift:
    tier: str = strawberry.field(description="The tier's name.")
    reward_id: strawberry.ID
    domain: strawberry.Private[p.TierGift]

    @strawberry.field(description="The catalog reward given.")
    async def reward(self, info: Info) -> Reward | None:
        return await reward_by_id(info, self.domain.reward_id)


@strawberry.type(description="A catalog reward issued free on each member's birthday.")
class BirthdayGift:
    reward_id: strawberry.ID | None = strawberry.field(
        description="For members in no tier listed in byTier; null: they get no gift."
    )
    by_tier: list[TierGift] = strawberry.field(description="The gift of each tier named.")
    domain: strawberry.Private[p.BirthdayGift]

    @classmethod
    def of(cls, g: p.BirthdayGift | None) -> BirthdayGift | None:
        if g is None:
            return None
        return cls(
            reward_id=_reward_gid(g.reward_id),
            by_tier=[
                TierGift(tier=x.tier, reward_id=_reward_id(x.reward_id), domain=x)
                for x in g.by_tier
            ],
            domain=g,
        )

    @strawberry.field(description="The default catalog reward, when there is one.")
    async def reward(self, info: Info) -> Reward | None:
        if self.domain.reward_id is None:
            return None
        return await reward_by_id(info, self.domain.reward_id)


def _reward_id(reward_id: UUID) -> strawberry.ID:
    return strawberry.ID(to_global_id("Reward", reward_id))


def _reward_gid(reward_id: UUID | None) -> strawberry.ID | None:
    return _reward_id(reward_id) if reward_id else None


@strawberry.input
class TierGiftInput:
    tier: str = strawberry.field(description="A tier's name.")
    reward_id: strawberry.ID


@strawberry.input(description="The gift of each tier named, else rewardId.")
class BirthdayGiftInput:
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="For members in no tier of byTier; a fixed pointsCost."
    )
    by_tier: list[TierGiftInput] = strawberry.field(default_factory=list)


@strawberry.input(description="What enrolment gives; at least one of the two.")
class WelcomeOfferInput:
    award_signup: bool = strawberry.field(
        default=False,
        description="Award the signup action (it must be in actions) at enrolment.",
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="A catalog reward with a fixed pointsCost, issued free."
    )


@strawberry.type(description="How the program earns, holds, values and loses points.")
class Program:
    name: str
    slug: str
    version: int = strawberry.field(description="Bumped by every configureProgram.")
    currency: str
    points_per_unit: Decimal = strawberry.field(description="Points per 1 unit of currency.")
    rounding: Rounding  # type: ignore[valid-type]
    point_value: Decimal = strawberry.field(description="What one point is worth, minor units.")
    min_order_value: int = strawberry.field(description="Minor units; smaller orders earn 0.")
    earn_on_shipping: bool = strawberry.field(
        description="Shipping earns points too (by default only the lines after discounts)."
    )
    earn_on_tax: bool = strawberry.field(description="Tax earns points too.")
    pending_days: int = strawberry.field(description="Return window before points are usable.")
    lot_expiry: LotExpiry | None
    inactivity_days: int | None = strawberry.field(
        description="The whole balance expires after this many days without activity."
    )
    expiring_notice_days: int | None = strawberry.field(
        default=None,
        description="points.expiring webhooks announce points this many days before they"
        " expire (0: never); null: the platform's default.",
    )
    refund_policy: RefundPolicy  # type: ignore[valid-type]
    earn_rules: list[EarnRule]
    actions: list[ActionRule]
    stamp_card: StampCard | None = strawberry.field(
        description="The stamp card, when the program has one (configureStampCard)."
    )
    welcome_offer: WelcomeOffer | None = strawberry.field(
        default=None, description="What enrolment gives a new member; null: nothing."
    )
    birthday_gift: BirthdayGift | None = strawberry.field(
        default=None,
        description="The catalog reward each member gets on their birthday, by tier; null: "
        "none (the birthday action's points are separate).",
    )
    paid_memberships: list[PaidMembership] = strawberry.field(
        default_factory=list,
        description="Tiers bought by an order line of their SKU, for a period.",
    )

    @strawberry.field(description="Rewards that can be redeemed now.")
    async def rewards(self, info: Info, first: int = 50) -> list[Reward]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await live_rewards(ctx.uow, ctx.services.clock.now(), size)
        return [Reward.of(x) for x in found]

    @strawberry.field(
        description='How to earn, for a storefront\'s "how it works" page: the rate on '
        "purchases, earn rules and actions live now, and the tiers, each a title and a sentence."
    )
    async def how_to_earn(self, info: Info) -> list[ExplainedItem]:
        ctx = info.context
        found = await earning_explained(ctx.uow, ctx.services.clock.now())
        return [ExplainedItem.of(x) for x in found]

    @strawberry.field(description="How to redeem: the rewards live now, cost and value each.")
    async def how_to_redeem(self, info: Info, first: int = 50) -> list[ExplainedItem]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await redeeming_explained(ctx.uow, ctx.services.clock.now(), size)
        return [ExplainedItem.of(x) for x in found]

    @strawberry.field(description="The referral program: rewards, trigger, cap, link template.")
    async def referrals(self, info: Info) -> ReferralProgram:
        return await program_referrals(info)

    @strawberry.field(description="The tiers members can hold, lowest first.")
    async def tiers(self, info: Info, include_archived: bool = False) -> list[Tier]:
        found = await program_tiers(info.context.uow, include_archived=include_archived)
        return [Tier.of(x) for x in found]

    @strawberry.field(description="How members qualify for tiers and lose them.")
    async def tier_settings(self, info: Info) -> TierSettings:
        return TierSettings.of((await tier_definitions(info.context.uow)).settings)


def program_of(name: str, slug: str, c: p.ProgramConfig) -> Program:
    return Program(
        name=name,
        slug=slug,
        version=c.version,
        currency=c.currency,
        points_per_unit=c.points_per_unit,
        rounding=c.rounding,
        point_value=c.point_value_minor,
        min_order_value=c.min_order_minor,
        earn_on_shipping=c.earn_on_shipping,
        earn_on_tax=c.earn_on_tax,
        pending_days=c.pending_days,
        lot_expiry=LotExpiry(
            after=c.lot_expiry.after, unit=c.lot_expiry.unit, end_of_month=c.lot_expiry.end_of_month
        )
        if c.lot_expiry
        else None,
        inactivity_days=c.inactivity_days,
        expiring_notice_days=c.expiring_notice_days,
        refund_policy=c.refund_policy,
        earn_rules=[
            EarnRule(
                id=r.id,
                name=r.name,
                kind=r.kind,
                multiplier=r.multiplier,
                points=r.points,
                skus=list(r.skus),
                categories=list(r.categories),
                channels=list(r.channels),
                min_order_value=r.min_order_minor,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                active=r.active,
            )
            for r in c.rules
        ],
        actions=[
            ActionRule(
                key=a.key,
                points=a.points,
                once=a.once,
                max_per_period=a.max_per_period,
                period=a.period,
                cooldown_hours=a.cooldown_hours,
                active=a.active,
            )
            for a in c.actions
        ],
        stamp_card=StampCard.of(c.stamp_card),
        welcome_offer=WelcomeOffer.of(c.welcome),
        birthday_gift=BirthdayGift.of(c.birthday_gift),
        paid_memberships=PaidMembership.all_of(c.memberships),
    )


@strawberry.input
class EarnRuleInput:
    id: str = strawberry.field(description="Your name for the rule: lowercase, digits, - and _.")
    name: str
    kind: RuleKind  # type: ignore[valid-type]
    multiplier: Decimal | None = None
    points: int | None = None
    skus: list[str] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    channels: list[Channel] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    min_order_value: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True


@strawberry.input
class ActionRuleInput:
    key: str = strawberry.field(description="signup, birthday, review, … or your own name.")
    points: int
    once: bool = False
    max_per_period: int | None = None
    period: LimitPeriod | None = None  # type: ignore[valid-type]
    cooldown_hours: int = 0
    active: bool = True


@strawberry.input(description="Only the fields given change; lists given replace the old list.")
class ConfigureProgramInput:
    currency: str | None = None
    points_per_unit: Decimal | None = None
    rounding: Rounding | None = None  # type: ignore[valid-type]
    point_value: Decimal | None = None
    min_order_value: int | None = None
    earn_on_shipping: bool | None = None
    earn_on_tax: bool | None = None
    pending_days: int | None = None
    lot_expiry: LotExpiryInput | None = strawberry.field(
        default=None, description="Set to expire each lot; see clearLotExpiry."
    )
    clear_lot_expiry: bool = False
    inactivity_days: int | None = None
    clear_inactivity_expiry: bool = False
    expiring_notice_days: int | None = strawberry.field(
        default=None,
        description="Days ahead points.expiring webhooks announce expiring points, 0 to 365"
        " (0: never); see clearExpiringNoticeDays.",
    )
    clear_expiring_notice_days: bool = strawberry.field(
        default=False, description="Back to the platform's default days ahead."
    )
    refund_policy: RefundPolicy | None = None  # type: ignore[valid-type]
    earn_rules: list[EarnRuleInput] | None = None
    actions: list[ActionRuleInput] | None = None
    welcome_offer: WelcomeOfferInput | None = strawberry.field(
        default=None, description="Replaces the welcome offer; see clearWelcomeOffer."
    )
    clear_welcome_offer: bool = False
    birthday_gift: BirthdayGiftInput | None = strawberry.field(
        default=None, description="Replaces the birthday gift; see clearBirthdayGift."
    )
    clear_birthday_gift: bool = False
    paid_memberships: list[PaidMembershipInput] | None = strawberry.field(
        default=None,
        description="Replaces the paid memberships: each SKU buys a tier for some months "
        "(an empty list: none).",
    )


@strawberry.type
class ConfigureProgramPayload:
    program: Program | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _update(i: ConfigureProgramInput) -> PartialUpdate:
    values: dict[str, object] = dict(
        currency=i.currency.strip().upper() if i.currency else None,
        points_per_unit=i.points_per_unit,
        rounding=i.rounding,
        point_value_minor=i.point_value,
        min_order_minor=i.min_order_value,
        earn_on_shipping=i.earn_on_shipping,
        earn_on_tax=i.earn_on_tax,
        pending_days=i.pending_days,
        inactivity_days=i.inactivity_days,
        expiring_notice_days=i.expiring_notice_days,
        refund_policy=i.refund_policy,
    )
    if i.lot_expiry is not None:
        values["lot_expiry"] = p.LotExpiry(
            i.lot_expiry.after, i.lot_expiry.unit, i.lot_expiry.end_of_month
        )
    if i.earn_rules is not None:
        values["rules"] = tuple(
            p.EarnRule(
                id=r.id.strip(),
                name=r.name.strip()[:200],
                kind=r.kind,
                multiplier=r.multiplier,
                points=r.points,
                skus=tuple(s.strip() for s in r.skus),
                categories=tuple(x.strip() for x in r.categories),
                channels=tuple(r.channels),
                min_order_minor=r.min_order_value,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                active=r.active,
            )
            for r in i.earn_rules
        )
    if i.actions is not None:
        values["actions"] = tuple(
            p.ActionRule(
                key=a.key.strip(),
                points=a.points,
                once=a.once,
                max_per_period=a.max_per_period,
                period=a.period,
                cooldown_hours=a.cooldown_hours,
                active=a.active,
            )
            for a in i.actions
        )
    if i.welcome_offer is not None:
        values["welcome"] = _welcome(i.welcome_offer)
    if i.birthday_gift is not None:
        values["birthday_gift"] = _birthday_gift(i.birthday_gift)
    if i.paid_memberships is not None:
        values["memberships"] = tuple(x.plan() for x in i.paid_memberships)
    cleared = [
        name
        for flag, name in (
            (i.clear_inactivity_expiry, "inactivity_days"),
            (i.clear_lot_expiry, "lot_expiry"),
            (i.clear_welcome_offer, "welcome"),
            (i.clear_birthday_gift, "birthday_gift"),
            (i.clear_expiring_notice_days, "expiring_notice_days"),
        )
        if flag
    ]
    return PartialUpdate.of(values, cleared)


def _welcome(given: WelcomeOfferInput) -> p.WelcomeOffer:
    field = ("welcomeOffer", "rewardId")
    reward_id = uuid_of(given.reward_id, "Reward", field) if given.reward_id else None
    if not given.award_signup and reward_id is None:
        raise DomainError(
            "A welcome offer gives points (awardSignup), a reward (rewardId), or both.",
            field=("welcomeOffer",),
        )
    return p.WelcomeOffer(award_signup=given.award_signup, reward_id=reward_id)


def _birthday_gift(given: BirthdayGiftInput) -> p.BirthdayGift:
    field = ("birthdayGift", "rewardId")
    return p.BirthdayGift(
        reward_id=uuid_of(given.reward_id, "Reward", field) if given.reward_id else None,
        by_tier=tuple(
            p.TierGift(
                x.tier,
                uuid_of(x.reward_id, "Reward", ("birthdayGift", "byTier", str(n), "rewardId")),
            )
            for n, x in enumerate(given.by_tier)
        ),
    )


@strawberry.type
class ProgramQueries:
    @strawberry.field(description="The program of the calling tenant; any credential may read it.")
    async def program(self, info: Info) -> Program | None:
        ctx = info.context
        config = await current_program(ctx.uow)
        return program_of(ctx.tenant.name, ctx.tenant.slug, config)


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(description="Change the program; saved as a new version.")
    @returns_payload(ConfigureProgramPayload)
    async def configure_program(
        self, info: Info, input: ConfigureProgramInput
    ) -> ConfigureProgramPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        update = _update(input)
        config = await configure_program(
            ctx.uow,
            ctx.services.clock,
            lambda current: updated_program(current, update),
            ctx.principal.actor,
        )
        return ConfigureProgramPayload(program=program_of(ctx.tenant.name, ctx.tenant.slug, config))
