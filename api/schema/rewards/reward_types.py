"""Reward and Redemption as clients see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.enums import LimitPeriod
from api.schema.common.ids import to_global_id
from api.schema.common.node import Node
from domain import rewards as r
from domain.reads import rewards as reads
from domain.records.redemptions import Redemption as DomainRedemption

RewardKind = strawberry.enum(r.RewardKind, name="RewardKind")
CodeSource = strawberry.enum(r.CodeSource, name="CodeSource")
RedemptionStatus = strawberry.enum(r.RedemptionStatus, name="RedemptionStatus")
ContentKind = strawberry.enum(
    r.ContentKind,
    name="ContentKind",
    description="What a CONTENT reward delivers: a link, a download, a seat at a webinar.",
)


@strawberry.type(description="What a CONTENT reward delivers on redemption.")
class RewardContent:
    kind: ContentKind  # type: ignore[valid-type]
    url: str
    note: str | None = strawberry.field(description="Instructions: a date, a seat, a password.")

    @classmethod
    def of(cls, x: r.Reward) -> RewardContent | None:
        if x.content_kind is None or x.content_url is None:
            return None
        return cls(kind=x.content_kind, url=x.content_url, note=x.content_note)


@strawberry.type(description="Something points buy.")
class Reward(Node):
    name: str
    description: str
    image_url: str | None
    kind: RewardKind  # type: ignore[valid-type]
    value: int | None = strawberry.field(description="Amount off or credit, minor units.")
    percentage: Decimal | None
    max_discount: int | None = strawberry.field(description="Cap of a percentage, minor units.")
    sku: str | None = strawberry.field(description="The free product.")
    points_cost: int | None = strawberry.field(description="Fixed cost; null for variable.")
    min_points: int | None
    max_points: int | None
    step_points: int | None
    value_per_step: int | None = strawberry.field(description="Minor units per step of points.")
    min_order_value: int
    valid_days: int | None = strawberry.field(description="Days a code is valid after issue.")
    starts_at: datetime | None
    ends_at: datetime | None
    stock: int | None = strawberry.field(description="Total units; null is unlimited.")
    remaining_stock: int | None
    per_member_limit: int | None
    per_member_period: LimitPeriod | None  # type: ignore[valid-type]
    eligible_tiers: list[str]
    eligible_segments: list[str]
    code_source: CodeSource  # type: ignore[valid-type]
    code_prefix: str = strawberry.field(description="Starts every generated code.")
    code_length: int = strawberry.field(description="Characters after the prefix.")
    code_alphabet: str = strawberry.field(description="Characters generated codes are made of.")
    refund_on_expiry: bool
    archived: bool
    created_at: datetime
    content_kind: ContentKind | None = strawberry.field(  # type: ignore[valid-type]
        description="What a CONTENT reward delivers; the content itself is on redemptions."
    )
    early_access_tier: str | None = strawberry.field(
        description="Until earlyAccessUntil, only members of this tier or a higher one see "
        "and redeem the reward."
    )
    early_access_until: datetime | None
    domain: strawberry.Private[r.Reward]

    @classmethod
    def of(cls, x: r.Reward) -> Reward:
        return cls(
            id=strawberry.ID(to_global_id("Reward", x.id)),
            name=x.name,
            description=x.description,
            image_url=x.image_url,
            kind=x.kind,
            value=x.value_minor,
            percentage=x.percentage,
            max_discount=x.max_discount_minor,
            sku=x.sku,
            points_cost=x.points_cost,
            min_points=x.min_points,
            max_points=x.max_points,
            step_points=x.step_points,
            value_per_step=x.value_per_step_minor,
            min_order_value=x.min_order_minor,
            valid_days=x.valid_days,
            starts_at=x.starts_at,
            ends_at=x.ends_at,
            stock=x.stock,
            remaining_stock=x.remaining_stock,
            per_member_limit=x.per_member_limit,
            per_member_period=x.per_member_period,
            eligible_tiers=list(x.eligible_tiers),
            eligible_segments=list(x.eligible_segments),
            code_source=x.code_source,
            code_prefix=x.code_prefix,
            code_length=x.code_length,
            code_alphabet=x.code_alphabet,
            refund_on_expiry=x.refund_on_expiry,
            archived=x.archived,
            created_at=x.created_at,
            content_kind=x.content_kind,
            early_access_tier=x.early_access_tier,
            early_access_until=x.early_access_until,
            domain=x,
        )

    @strawberry.field(
        description="The content a CONTENT reward delivers: staff only; members read it on "
        "their redemptions."
    )
    def content(self, info: Info) -> RewardContent | None:
        if not info.context.viewer.sees_unlisted_rewards:
            return None
        return RewardContent.of(self.domain)


async def reward_by_id(info: Info, reward_id: UUID) -> Reward | None:
    """The catalog reward a redemption or a referral reward setting refers to."""
    found = await reads.reward_by_id(info.context.uow, reward_id)
    return Reward.of(found) if found else None


@strawberry.type(description="A reward a member redeemed: a code and what became of it.")
class Redemption(Node):
    code: str
    status: RedemptionStatus  # type: ignore[valid-type]
    points: int
    value: int | None
    order_id: str | None
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    closed_at: datetime | None = strawberry.field(description="When it was cancelled or expired.")
    reward_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, x: DomainRedemption) -> Redemption:
        return cls(
            id=strawberry.ID(to_global_id("Redemption", x.id)),
            code=x.code,
            status=x.status,
            points=x.points,
            value=x.value_minor,
            order_id=x.order_id,
            created_at=x.created_at,
            expires_at=x.expires_at,
            used_at=x.used_at,
            closed_at=x.closed_at,
            reward_id=x.reward_id,
        )

    @strawberry.field
    async def reward(self, info: Info) -> Reward | None:
        return await reward_by_id(info, self.reward_id)

    @strawberry.field(
        description="What a CONTENT reward delivers (its link as it is now), for the "
        "redemption's member and staff; null once the code is cancelled or expired."
    )
    async def content(self, info: Info) -> RewardContent | None:
        if self.status in (r.RedemptionStatus.CANCELLED, r.RedemptionStatus.EXPIRED):
            return None
        found = await reads.reward_by_id(info.context.uow, self.reward_id)
        return RewardContent.of(found) if found is not None else None


@strawberry.type(description="A reward in reach of a member, or how far it is.")
class AvailableReward:
    reward: Reward
    can_redeem: bool
    points_missing: int = strawberry.field(description="0 when the member has the points.")
    limit_reached: bool = strawberry.field(
        description="The member redeemed it as often as its per-member limit allows this period."
    )
