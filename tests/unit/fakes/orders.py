"""Orders and refunds in memory, as persistence/repositories/orders.py keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.records.orders import OrderRecord, RefundRecord
from tests.unit.fakes.tables import Tables, check, references, unique

# tier_multiplier is numeric(6, 3).
_MULTIPLIER_PLACES = Decimal("0.001")


class FakeOrderRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def lock(self, order_id: str) -> OrderRecord | None:
        return self._tables.orders.get(order_id)

    async def get(self, order_id: str) -> OrderRecord | None:
        return self._tables.orders.get(order_id)

    async def save(self, record: OrderRecord, *, insert: bool) -> None:
        order_id = record.order.order_id
        if insert:
            unique(order_id in self._tables.orders, "orders_pkey")
        elif order_id not in self._tables.orders:  # an UPDATE of no row
            return
        member_id = record.order.member_id
        references(member_id is None or member_id in self._tables.members, "orders_member_fkey")
        check(record.paid_minor >= 0, "orders_paid_minor_check")
        check(0 <= record.refunded_minor <= record.paid_minor, "orders_check")
        self._tables.orders[order_id] = replace(
            record, tier_multiplier=record.tier_multiplier.quantize(_MULTIPLIER_PLACES)
        )

    async def refund(self, refund_id: str) -> RefundRecord | None:
        return self._tables.refunds.get(refund_id)

    async def add_refund(self, refund: RefundRecord, at: datetime) -> None:
        unique(refund.refund_id in self._tables.refunds, "refunds_pkey")
        references(refund.order_id in self._tables.orders, "refunds_order_id_fkey")
        check(refund.amount_minor > 0, "refunds_amount_minor_check")
        self._tables.refunds[refund.refund_id] = refund
