"""recordOrder, refundOrder, previewOrder, `order(orderId:)` and `orders(…)`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.enums import Channel
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.pagination import Connection, page_size
from api.schema.members.members import find_member_id, require_member_id
from api.schema.orders.order_types import (
    EarnBreakdownLine,
    Order,
    OrderStatus,
    decode_order_cursor,
    order_page,
)
from api.schema.points.ledger_types import Points
from api.schema.stamps.stamp_types import MemberStamps, stamps_of
from domain import earning as e
from domain.ledger import Balance
from domain.order_preview import preview_member_order
from domain.orders import RefundLine, record_order, refund_order
from domain.program import Channel as DomainChannel
from domain.reads.orders import order_by_id, order_filter, orders_page


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int
    unit_price: int = strawberry.field(description="Minor units (cents).")
    category: str | None = None


@strawberry.input
class RecordOrderInput:
    order_id: str = strawberry.field(
        description="The store's order id; recording it again upserts."
    )
    member_id: strawberry.ID | None = None
    external_id: str | None = strawberry.field(
        default=None, description="The member by the store's customer id. Neither: a guest order."
    )
    guest_id: str | None = strawberry.field(
        default=None,
        description="The store's reference for a guest shopper (1 to 255 characters): guests"
        " are then counted per customer in analytics. Without it a guest order counts as an"
        " order and revenue, not as a customer.",
    )
    currency: str
    channel: Channel = DomainChannel.WEB  # type: ignore[valid-type]
    placed_at: datetime
    lines: list[OrderLineInput]
    discount_total: int = strawberry.field(
        default=0, description="Order-level discounts, minor units."
    )
    shipping: int = 0
    tax: int = 0


@strawberry.type
class RecordOrderPayload:
    order: Order | None = None
    points_delta: int | None = strawberry.field(
        default=None, description="Points this call moved (0 when the order was unchanged)."
    )
    unchanged: bool = False
    points: Points | None = None
    stamps_delta: int = strawberry.field(
        default=0, description="Stamps this call moved (0 when the program has no stamp card)."
    )
    member_id: strawberry.Private[UUID | None] = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(description="The member's stamp card after this call; null without one.")
    async def stamps(self, info: Info) -> MemberStamps | None:
        return await stamps_of(info, self.member_id)


@strawberry.input
class RefundLineInput:
    sku: str
    quantity: int


@strawberry.input
class RefundOrderInput:
    order_id: str
    refund_id: str = strawberry.field(description="The store's refund id; the idempotency key.")
    amount: int | None = strawberry.field(default=None, description="Minor units refunded.")
    lines: list[RefundLineInput] | None = strawberry.field(
        default=None, description="Or whole units refunded, by sku."
    )


@strawberry.type
class RefundOrderPayload:
    order: Order | None = None
    reversed_points: int | None = None
    shortfall: int | None = strawberry.field(
        default=None, description="Points that could not be taken back (already spent)."
    )
    replayed: bool = False
    points: Points | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderPreview:
    points: int
    breakdown: list[EarnBreakdownLine]
    config_version: int


async def _order_from(info: Info, i: RecordOrderInput, order_id: str) -> e.Order:
    member_id = None
    if i.member_id is not None or i.external_id is not None:
        member_id = await require_member_id(info, i.member_id, i.external_id)
    return e.Order(
        order_id=order_id,
        member_id=member_id,
        currency=i.currency,
        channel=i.channel,
        placed_at=i.placed_at,
        lines=tuple(
            e.OrderLine(
                x.sku.strip(), x.quantity, x.unit_price, x.category.strip() if x.category else None
            )
            for x in i.lines
        ),
        discount_minor=i.discount_total,
        shipping_minor=i.shipping,
        tax_minor=i.tax,
        guest_id=i.guest_id,
    )


@strawberry.input(description="Orders that match every field given.")
class OrderFilterInput:
    member_id: strawberry.ID | None = None
    external_id: str | None = strawberry.field(
        default=None, description="The member by the store's customer id."
    )
    guest_id: str | None = None
    status: OrderStatus | None = None  # type: ignore[valid-type]
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Placed at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Placed before.")


@strawberry.type
class OrderQueries:
    @strawberry.field(description="An order by the store's order id.")
    async def order(self, info: Info, order_id: str) -> Order | None:
        info.context.require_reader()
        found = await order_by_id(info.context.uow, order_id)
        return Order.of(found) if found else None

    @strawberry.field(
        description="Orders, newest placed first, a page at a time (secret key and operators)."
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrderFilterInput | None = None,
    ) -> Connection[Order]:
        ctx = info.context
        ctx.require_reader()
        size = page_size(first, ctx.services.settings.max_page_size)
        position = decode_order_cursor(after)
        f = filter or OrderFilterInput()
        member_id = None
        if f.member_id is not None or f.external_id is not None:
            member_id = await find_member_id(info, f.member_id, f.external_id, "memberId")
            if member_id is None:  # no such member: none of its orders
                return order_page([], size, after is not None)
        where = order_filter(
            member_id=member_id,
            guest_id=f.guest_id,
            status=f.status,
            placed_from=f.from_,
            placed_to=f.to,
        )
        found = await orders_page(ctx.uow, where, position, size + 1)
        return order_page(found, size, after is not None)

    @strawberry.field(description="What an order would earn and why; writes nothing.")
    async def preview_order(self, info: Info, input: RecordOrderInput) -> OrderPreview | None:
        ctx = info.context
        ctx.require_reader()
        order = await _order_from(info, input, input.order_id)
        earning = await preview_member_order(ctx.uow, order)
        return OrderPreview(
            points=earning.points,
            breakdown=[
                EarnBreakdownLine(rule=b.rule, description=b.description, points=b.points)
                for b in earning.breakdown
            ],
            config_version=earning.config_version,
        )


def _points(balance: Balance | None) -> Points | None:
    return Points.of(balance) if balance is not None else None


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="Record an order's full state; replays are no-ops.")
    @returns_payload(RecordOrderPayload)
    async def record_order(self, info: Info, input: RecordOrderInput) -> RecordOrderPayload:
        ctx = info.context
        ctx.require_writer()
        order = await _order_from(info, input, input.order_id)
        result = await record_order(ctx.uow, ctx.balance_cache, ctx.services.clock, order)
        return RecordOrderPayload(
            order=Order.of(result.record),
            points_delta=result.points_delta,
            unchanged=result.unchanged,
            points=_points(result.balance),
            stamps_delta=result.stamps,
            member_id=order.member_id,
        )

    @strawberry.mutation(
        description="Refund part or all of an order; points go back in proportion."
    )
    @returns_payload(RefundOrderPayload)
    async def refund_order(self, info: Info, input: RefundOrderInput) -> RefundOrderPayload:
        ctx = info.context
        ctx.require_writer()
        result = await refund_order(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            order_id=input.order_id,
            refund_id=input.refund_id,
            amount_minor=input.amount,
            lines=[RefundLine(x.sku.strip(), x.quantity) for x in input.lines]
            if input.lines is not None
            else None,
        )
        return RefundOrderPayload(
            order=Order.of(result.record),
            reversed_points=result.refund.points,
            shortfall=result.shortfall,
            replayed=result.replayed,
            points=_points(result.balance),
        )
