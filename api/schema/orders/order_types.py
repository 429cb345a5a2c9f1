"""The Order type and its parts, and the cursors of lists of orders.

The Member type lists a member's orders, so this module names Member lazily (as
api/schema/referrals/referrals.py does): no import of the Member module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import strawberry
from strawberry.types.lazy_type import LazyType

from api.context import Info
from api.schema.common.enums import Channel
from api.schema.common.opaque import opaque, unopaque
from api.schema.common.pagination import Connection, keyset_page
from api.schema.common.scalars import BigInt
from domain.errors import DomainError
from domain.reads.members import member_by_id
from domain.reads.orders import ListedOrder, refunds_of_order
from domain.records import orders as o
from domain.records.members import Member as DomainMember
from domain.viewers import may_see_records_of

OrderStatus = strawberry.enum(
    o.OrderStatus, name="OrderStatus", description="What was refunded of what was paid."
)
LAZY_MEMBER: LazyType[str, str] = LazyType("Member", "api.schema.members.member_type")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def _member_type() -> type[Any]:
    """The Member class, resolved once: resolving looks at files on every call."""
    return LAZY_MEMBER.resolve_type()


@strawberry.type
class EarnBreakdownLine:
    rule: str = strawberry.field(description="'base', 'tier', or an earning rule's id.")
    description: str
    points: int


@strawberry.type(description="A line of an order as the store recorded it.")
class OrderLine:
    sku: str
    quantity: int
    unit_price: BigInt = strawberry.field(description="Minor units.")
    total: BigInt = strawberry.field(description="quantity times unitPrice, minor units.")
    category: str | None


@strawberry.type(description="A refund of (part of) an order, and the points it took back.")
class OrderRefund:
    refund_id: str = strawberry.field(description="The store's refund id.")
    amount: BigInt = strawberry.field(description="Minor units refunded.")
    points: int = strawberry.field(description="Points the refund took back.")
    created_at: datetime | None

    @classmethod
    def of(cls, r: o.RefundRecord) -> OrderRefund:
        return cls(
            refund_id=r.refund_id,
            amount=BigInt(r.amount_minor),
            points=r.points,
            created_at=r.created_at,
        )


@strawberry.type
class Order:
    order_id: str
    currency: str
    channel: Channel  # type: ignore[valid-type]
    placed_at: datetime
    subtotal: BigInt = strawberry.field(description="Lines before discounts, minor units.")
    paid: BigInt = strawberry.field(description="What points are earned on, minor units.")
    refunded: BigInt
    earned_points: int
    reversed_points: int
    points: int = strawberry.field(description="Net points this order brought the member.")
    config_version: int
    breakdown: list[EarnBreakdownLine]
    record: strawberry.Private[o.OrderRecord]
    guest_id: str | None = strawberry.field(
        default=None, description="The store's reference for a guest shopper."
    )
    # Read with the list the order came in; None: read when asked.
    refund_records: strawberry.Private[tuple[o.RefundRecord, ...] | None] = None
    member_record: strawberry.Private[DomainMember | None] = None

    @classmethod
    def of(
        cls,
        r: o.OrderRecord,
        refunds: tuple[o.RefundRecord, ...] | None = None,
        member: DomainMember | None = None,
    ) -> Order:
        return cls(
            order_id=r.order.order_id,
            currency=r.order.currency,
            channel=r.order.channel,
            placed_at=r.order.placed_at,
            subtotal=BigInt(r.order.subtotal_minor),
            paid=BigInt(r.paid_minor),
            refunded=BigInt(r.refunded_minor),
            earned_points=r.earned_points,
            reversed_points=r.reversed_points,
            points=r.net_points,
            config_version=r.config_version,
            breakdown=[
                EarnBreakdownLine(rule=b.rule, description=b.description, points=b.points)
                for b in r.breakdown
            ],
            guest_id=r.order.guest_id,
            record=r,
            refund_records=refunds,
            member_record=member,
        )

    @classmethod
    def listed(cls, x: ListedOrder) -> Order:
        return cls.of(x.record, x.refunds, x.member)

    @strawberry.field(description="PAID, PARTIALLY_REFUNDED or REFUNDED.")
    def status(self) -> OrderStatus:  # type: ignore[valid-type]
        return self.record.status

    @strawberry.field(description="The order's lines as recorded.")
    def lines(self) -> list[OrderLine]:
        return [
            OrderLine(
                sku=x.sku,
                quantity=x.quantity,
                unit_price=BigInt(x.unit_price_minor),
                total=BigInt(x.total_minor),
                category=x.category,
            )
            for x in self.record.order.lines
        ]

    @strawberry.field(description="Order-level discounts, minor units.")
    def discount_total(self) -> BigInt:
        return BigInt(self.record.order.discount_minor)

    @strawberry.field(description="Minor units; earns no points.")
    def shipping(self) -> BigInt:
        return BigInt(self.record.order.shipping_minor)

    @strawberry.field(description="Minor units; earns no points.")
    def tax(self) -> BigInt:
        return BigInt(self.record.order.tax_minor)

    @strawberry.field(description="Refunds of this order, oldest first.")
    async def refunds(self, info: Info) -> list[OrderRefund]:
        found = self.refund_records
        if found is None:
            found = tuple(await refunds_of_order(info.context.uow, self.record.order.order_id))
        return [OrderRefund.of(r) for r in found]

    @strawberry.field(
        description="The member, or null for a guest order (and for a member token, any "
        "member but its own).",
        graphql_type=LAZY_MEMBER | None,
    )
    async def member(self, info: Info) -> object | None:
        member_id = self.record.order.member_id
        if member_id is None or not may_see_records_of(info.context.viewer, member_id):
            return None
        if self.member_record is not None:  # read with the list: its fields are batched too
            return _member_type().of(self.member_record, listed=True)
        found = await member_by_id(info.context.uow, member_id)
        return _member_type().of(found) if found else None


def encode_order_cursor(position: o.OrderPosition) -> str:
    micros = (position.placed_at - _EPOCH) // timedelta(microseconds=1)
    return opaque(f"o:{micros}:{position.seq}")


def decode_order_cursor(cursor: str | None) -> o.OrderPosition | None:
    if cursor is None:
        return None
    try:
        tag, micros, seq = unopaque(cursor).split(":")
        if tag != "o" or not seq.isdigit() or len(seq) > 18 or len(micros) > 19:
            raise ValueError
        return o.OrderPosition(_EPOCH + timedelta(microseconds=int(micros)), int(seq))
    except (ValueError, OverflowError):
        raise DomainError("Malformed cursor.", field=("after",)) from None


def order_page(found: list[ListedOrder], size: int, had_cursor: bool) -> Connection[Order]:
    """A connection of orders read one past `size`."""
    return keyset_page(
        found, size, had_cursor, Order.listed, lambda x: encode_order_cursor(x.position)
    )
