"""The tier types: tiers, their settings, a member's standing and tier history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.schema.common.ids import to_global_id
from api.schema.common.node import Node
from api.schema.common.scalars import BigInt
from domain import tiers as t
from domain.ports import TierHistoryEntry
from domain.tier_checkout import TierDiscount
from domain.tier_evaluation import Standing

TierMetric = strawberry.enum(
    t.TierMetric, name="TierMetric", description="What members qualify for tiers on."
)
TierWindow = strawberry.enum(
    t.TierWindow, name="TierWindow", description="The span the metric is measured over."
)
TierDowngrade = strawberry.enum(
    t.TierDowngrade,
    name="TierDowngrade",
    description="AT_PERIOD_END: a tier is kept until the end of the following period plus "
    "the grace days, then lost if not met again. NEVER: tiers are never lost.",
)
TierChangeReason = strawberry.enum(t.TierChangeReason, name="TierChangeReason")


@strawberry.type(description="What a tier gives at checkout, for the storefront to apply.")
class TierBenefits:
    discount_percent: Decimal | None = strawberry.field(
        description="A standing discount on every order, in percent; null: none."
    )
    free_shipping: bool

    @classmethod
    def of(cls, b: t.TierBenefits) -> TierBenefits:
        return cls(discount_percent=b.discount_percent, free_shipping=b.free_shipping)


@strawberry.type(description="What the member's tier takes off one cart.")
class TierCheckout:
    tier: str = strawberry.field(description="The tier's name.")
    discount_percent: Decimal | None = strawberry.field(
        description="The tier's standing discount, in percent; null: none."
    )
    discount: int = strawberry.field(
        description="Minor units off the cart (after a code's discount), rounded down."
    )
    free_shipping: bool

    @classmethod
    def of(cls, d: TierDiscount) -> TierCheckout:
        return cls(
            tier=d.tier,
            discount_percent=d.discount_percent,
            discount=d.amount_minor,
            free_shipping=d.free_shipping,
        )


@strawberry.type(description="A VIP tier: members whose metric reaches the threshold hold it.")
class Tier(Node):
    id: strawberry.ID
    name: str
    threshold: BigInt = strawberry.field(
        description="Of the tier metric: points, minor units of money, or orders."
    )
    multiplier: Decimal = strawberry.field(description="Applied to what members earn on orders.")
    perks: list[str] = strawberry.field(description="What the tier gives, for display.")
    archived: bool
    benefits: TierBenefits = strawberry.field(
        description="What the tier gives at checkout: a discount percent, free shipping."
    )

    @classmethod
    def of(cls, tier: t.Tier) -> Tier:
        return cls(
            id=strawberry.ID(to_global_id("Tier", tier.id)),
            name=tier.name,
            threshold=BigInt(tier.threshold),
            multiplier=tier.multiplier,
            perks=list(tier.perks),
            archived=tier.archived,
            benefits=TierBenefits.of(tier.benefits),
        )


@strawberry.type(description="How members qualify for tiers and lose them.")
class TierSettings:
    metric: TierMetric  # type: ignore[valid-type]
    window: TierWindow  # type: ignore[valid-type]
    rolling_months: int | None = strawberry.field(description="Of a ROLLING_MONTHS window.")
    downgrade: TierDowngrade  # type: ignore[valid-type]
    grace_days: int = strawberry.field(description="Added to the period a tier is kept for.")
    version: int = strawberry.field(description="Bumped by every change of tiers or settings.")

    @classmethod
    def of(cls, s: t.TierSettings) -> TierSettings:
        return cls(
            metric=s.metric,
            window=s.window,
            rolling_months=s.rolling_months,
            downgrade=s.downgrade,
            grace_days=s.grace_days,
            version=s.version,
        )


@strawberry.type(description="Where the member stands against the next tier up.")
class TierProgress:
    metric: TierMetric  # type: ignore[valid-type]
    value: BigInt = strawberry.field(description="The member's metric over the current window.")
    threshold: BigInt
    remaining: BigInt = strawberry.field(description="What the member still needs.")


@strawberry.type(description="What keeping the current tier takes.")
class TierRetention:
    by: datetime = strawberry.field(description="The tier is kept until then.")
    metric: TierMetric  # type: ignore[valid-type]
    value: BigInt = strawberry.field(description="The member's metric over the current window.")
    threshold: BigInt
    remaining: BigInt = strawberry.field(
        description="Still needed in the current window to keep the tier past `by`."
    )


@strawberry.type(name="MemberTier", description="A member's tier and what the tiers ahead take.")
class MemberTierStanding:
    current: Tier | None
    since: datetime | None
    next: Tier | None
    progress: TierProgress | None = strawberry.field(description="Null at the top tier.")
    retain_by: datetime | None = strawberry.field(
        description="The current tier is kept until then; null when it cannot be lost."
    )
    retention: TierRetention | None
    paid_until: datetime | None = strawberry.field(
        default=None,
        description="The current tier is a paid membership until then (null: earned, or none).",
    )

    @classmethod
    def of(cls, s: Standing) -> MemberTierStanding:
        p, r = s.progress, s.retention
        return cls(
            current=Tier.of(s.current) if s.current else None,
            since=s.since,
            next=Tier.of(s.next) if s.next else None,
            progress=TierProgress(
                metric=p.metric,
                value=BigInt(p.value),
                threshold=BigInt(p.threshold),
                remaining=BigInt(p.remaining),
            )
            if p
            else None,
            retain_by=r.by if r else None,
            retention=TierRetention(
                by=r.by,
                metric=r.metric,
                value=BigInt(r.value),
                threshold=BigInt(r.threshold),
                remaining=BigInt(r.remaining),
            )
            if r
            else None,
            paid_until=s.paid_until,
        )


@strawberry.type(description="A move of a member from one tier to another.")
class TierChange:
    from_tier: Tier | None
    to_tier: Tier | None
    reason: TierChangeReason  # type: ignore[valid-type]
    at: datetime

    @classmethod
    def of(cls, entry: TierHistoryEntry, tiers: dict[UUID, t.Tier]) -> TierChange:
        before = tiers.get(entry.from_tier) if entry.from_tier else None
        after = tiers.get(entry.to_tier) if entry.to_tier else None
        return cls(
            from_tier=Tier.of(before) if before else None,
            to_tier=Tier.of(after) if after else None,
            reason=entry.reason,
            at=entry.at,
        )
