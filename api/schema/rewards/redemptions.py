"""redeemReward, markRedemptionUsed, cancelRedemption and validateCode: checkout helpers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.members.members import acting_member_id
from api.schema.points.ledger_types import Points
from api.schema.rewards.reward_types import Redemption, Reward
from api.schema.tiers.tier_types import TierCheckout
from domain import redemption as rd
from domain.errors import DomainError
from domain.rewards import Discount
from domain.viewers import acting_member


@strawberry.input
class RedeemRewardInput:
    reward_id: strawberry.ID
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="Keys and operators name the member; member tokens need not."
    )
    external_id: str | None = None
    points: int | None = strawberry.field(
        default=None, description="For a variable-cost reward: how many points to spend."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the same code."
    )
    order_id: str | None = strawberry.field(
        default=None, description="Redeem and apply in one call: the code is marked used on it."
    )
    subtotal: int | None = strawberry.field(
        default=None,
        description="The cart, minor units: checked against the minimum order value, and the "
        "payload's discount says what the code takes off it.",
    )


@strawberry.type(description="What a code takes off one cart.")
class CartDiscount:
    amount: int = strawberry.field(description="Minor units off the cart.")
    free_shipping: bool
    free_sku: str | None = strawberry.field(description="The product to add free.")

    @classmethod
    def of(cls, d: Discount) -> CartDiscount:
        return cls(amount=d.amount_minor, free_shipping=d.free_shipping, free_sku=d.free_sku)


@strawberry.type
class RedeemRewardPayload:
    redemption: Redemption | None = None
    points: Points | None = None
    discount: CartDiscount | None = strawberry.field(
        default=None, description="When the input gave a subtotal."
    )
    replayed: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkRedemptionUsedInput:
    code: str
    order_id: str


@strawberry.input
class CancelRedemptionInput:
    code: str


@strawberry.type
class RedemptionPayload:
    redemption: Redemption | None = None
    points: Points | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CodeValidation:
    valid: bool
    reason: str | None
    discount: int | None = strawberry.field(description="Minor units the code takes off.")
    free_shipping: bool = strawberry.field(
        description="Ship the order free: the code, or the member's tier, gives it."
    )
    free_sku: str | None
    redemption: Redemption | None
    reward: Reward | None
    tier: TierCheckout | None = strawberry.field(
        description="What the code's member's tier takes off what the code leaves of the "
        "cart (null: an invalid code, or a member in no tier)."
    )
    total_discount: int | None = strawberry.field(
        description="Minor units off the cart in all: the code's and the tier's."
    )


@strawberry.type
class RedemptionQueries:
    @strawberry.field(description="Is this code good for this cart, and what does it take off?")
    async def validate_code(
        self,
        info: Info,
        code: str,
        subtotal: int,
        member_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Keys and operators: only this member's code is valid. "
                "A member token always checks its own member."
            ),
        ] = None,
        external_id: str | None = None,
    ) -> CodeValidation | None:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
        if subtotal < 0:
            raise DomainError("subtotal must not be negative.", field=("subtotal",))
        member = (
            await acting_member_id(info, member_id, external_id)
            if ctx.principal.kind is Kind.MEMBER or member_id is not None or external_id
            else None
        )
        check = await rd.validate_code(
            ctx.uow, ctx.services.clock, code=code, subtotal_minor=subtotal, member_id=member
        )
        tier = check.tier
        code_off = check.discount.amount_minor if check.discount else None
        return CodeValidation(
            valid=check.valid,
            reason=check.reason,
            discount=code_off,
            free_shipping=bool(check.discount and check.discount.free_shipping)
            or bool(tier and tier.free_shipping),
            free_sku=check.discount.free_sku if check.discount else None,
            redemption=Redemption.of(check.redemption) if check.redemption else None,
            reward=Reward.of(check.reward) if check.reward else None,
            tier=TierCheckout.of(tier) if tier else None,
            total_discount=None
            if code_off is None
            else code_off + (tier.amount_minor if tier else 0),
        )


@strawberry.type
class RedemptionMutations:
    @strawberry.mutation(description="Spend points on a reward and get its code.")
    @returns_payload(RedeemRewardPayload)
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedeemRewardPayload:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER)
        member_id = await acting_member_id(info, input.member_id, input.external_id)
        result = await rd.redeem_reward(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            member_id=member_id,
            reward_id=uuid_of(input.reward_id, "Reward", ("rewardId",)),
            points=input.points,
            idempotency_key=input.idempotency_key,
            apply_to_order=input.order_id,
            subtotal_minor=input.subtotal,
        )
        return RedeemRewardPayload(
            redemption=Redemption.of(result.redemption),
            points=Points.of(result.balance) if result.balance else None,
            discount=CartDiscount.of(result.discount) if result.discount else None,
            replayed=result.replayed,
        )

    @strawberry.mutation(description="The store applied the code to an order.")
    @returns_payload(RedemptionPayload)
    async def mark_redemption_used(
        self, info: Info, input: MarkRedemptionUsedInput
    ) -> RedemptionPayload:
        ctx = info.context
        ctx.require_writer()
        used = await rd.mark_used(
            ctx.uow, ctx.balance_cache, ctx.services.clock, code=input.code, order_id=input.order_id
        )
        return RedemptionPayload(redemption=Redemption.of(used))

    @strawberry.mutation(description="Give back the points and stock of an unused code.")
    @returns_payload(RedemptionPayload)
    async def cancel_redemption(
        self, info: Info, input: CancelRedemptionInput
    ) -> RedemptionPayload:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER)
        own = acting_member(ctx.viewer, None)  # a member token cancels its own codes only
        result = await rd.cancel_redemption(
            ctx.uow, ctx.balance_cache, ctx.services.clock, code=input.code, member_id=own
        )
        return RedemptionPayload(
            redemption=Redemption.of(result.redemption),
            points=Points.of(result.balance) if result.balance else None,
        )
