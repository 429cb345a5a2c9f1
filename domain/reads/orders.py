"""Reading orders: one by the store's order id, and lists of them, newest placed first, a
keyset page at a time (a member's purchase history, the store's reconciliation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import DomainError
from domain.ports import UnitOfWorkFactory
from domain.records.members import Member
from domain.records.orders import (
    OrderFilter,
    OrderPosition,
    OrderRecord,
    OrderStatus,
    RefundRecord,
)
from domain.viewers import Viewer, may_see_records_of

# What a guest id may be (persistence/migrations/tenant/0010_analytics.sql).
_MAX_GUEST_ID = 255


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """An order of a list, with its refunds (read with the list, oldest first) and, in the
    store's list, its member."""

    record: OrderRecord
    refunds: tuple[RefundRecord, ...]
    member: Member | None = None

    @property
    def position(self) -> OrderPosition:
        return OrderPosition(self.record.order.placed_at, self.record.seq)


def order_filter(
    *,
    member_id: UUID | None = None,
    guest_id: str | None = None,
    status: OrderStatus | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
) -> OrderFilter:
    guest = guest_id.strip() if guest_id is not None else None
    if guest is not None and not 1 <= len(guest) <= _MAX_GUEST_ID:
        raise DomainError(
            f"guestId must be 1 to {_MAX_GUEST_ID} characters.", field=("filter", "guestId")
        )
    if placed_from is not None and placed_to is not None and placed_to < placed_from:
        raise DomainError("to must not be before from.", field=("filter", "to"))
    return OrderFilter(member_id, guest, status, placed_from, placed_to)


async def order_by_id(uow_factory: UnitOfWorkFactory, order_id: str) -> OrderRecord | None:
    """The order as recorded; the id as the store sent it, surrounding spaces aside."""
    async with uow_factory() as uow:
        return await uow.orders.get(order_id.strip())


async def refunds_of_order(uow_factory: UnitOfWorkFactory, order_id: str) -> list[RefundRecord]:
    async with uow_factory() as uow:
        return (await uow.orders.refunds_of([order_id])).get(order_id, [])


async def orders_page(
    uow_factory: UnitOfWorkFactory, where: OrderFilter, after: OrderPosition | None, limit: int
) -> list[ListedOrder]:
    """Up to `limit` orders placed before `after` (newest first), with their refunds and
    their members (each read once for the page)."""
    async with uow_factory() as uow:
        found = await uow.orders.page(where, after, limit)
        refunds = await uow.orders.refunds_of([x.order.order_id for x in found])
        member_ids = {x.order.member_id for x in found if x.order.member_id is not None}
        members = {m.id: m for m in await uow.members.get_many(list(member_ids))}
    return [
        ListedOrder(
            x,
            tuple(refunds.get(x.order.order_id, ())),
            members.get(x.order.member_id) if x.order.member_id is not None else None,
        )
        for x in found
    ]


async def orders_of_members(
    uow_factory: UnitOfWorkFactory,
    viewer: Viewer,
    member_ids: Sequence[UUID],
    after: OrderPosition | None,
    limit: int,
) -> dict[UUID, list[ListedOrder]]:
    """A page of each member's orders, every member's read at once, with their refunds. A
    member token reads its own member's only: another member has none for it."""
    shown = [m for m in member_ids if may_see_records_of(viewer, m)]
    found: dict[UUID, list[OrderRecord]] = {}
    refunds: dict[str, list[RefundRecord]] = {}
    if shown:
        async with uow_factory() as uow:
            found = await uow.orders.pages_of_members(shown, after, limit)
            refunds = await uow.orders.refunds_of(
                [o.order.order_id for orders in found.values() for o in orders]
            )
    return {
        m: [ListedOrder(o, tuple(refunds.get(o.order.order_id, ()))) for o in found.get(m, ())]
        for m in member_ids
    }
