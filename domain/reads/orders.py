"""Reading orders: one by the store's order id."""

from __future__ import annotations

from domain.ports import UnitOfWorkFactory
from domain.records.orders import OrderRecord


async def order_by_id(uow_factory: UnitOfWorkFactory, order_id: str) -> OrderRecord | None:
    """The order as recorded; the id as the store sent it, surrounding spaces aside."""
    async with uow_factory() as uow:
        return await uow.orders.get(order_id.strip())
