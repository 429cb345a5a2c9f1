"""Orders and refunds in memory, as persistence/repositories/orders.py keeps them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from domain.records.orders import (
    OrderFilter,
    OrderPosition,
    OrderRecord,
    RefundRecord,
)
from tests.unit.fakes.tables import Sequences, Tables, check, references, unique

# tier_multiplier is numeric(6, 3).
_MULTIPLIER_PLACES = Decimal("0.001")
_NEVER = datetime.min.replace(tzinfo=UTC)


class FakeOrderRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def lock(self, order_id: str) -> OrderRecord | None:
        return self._tables.orders.get(order_id)

    async def get(self, order_id: str) -> OrderRecord | None:
        return self._tables.orders.get(order_id)

    async def save(self, record: OrderRecord, *, insert: bool) -> None:
        order_id = record.order.order_id
        if insert:
            unique(order_id in self._tables.orders, "orders_pkey")
            seq = self._sequences.next("orders")
        elif order_id not in self._tables.orders:  # an UPDATE of no row
            return
        else:
            seq = self._tables.orders[order_id].seq  # never updated
        member_id = record.order.member_id
        references(member_id is None or member_id in self._tables.members, "orders_member_fkey")
        check(record.paid_minor >= 0, "orders_paid_minor_check")
        check(0 <= record.refunded_minor <= record.paid_minor, "orders_check")
        self._tables.orders[order_id] = replace(
            record, tier_multiplier=record.tier_multiplier.quantize(_MULTIPLIER_PLACES), seq=seq
        )

    async def refund(self, refund_id: str) -> RefundRecord | None:
        return self._tables.refunds.get(refund_id)

    async def add_refund(self, refund: RefundRecord, at: datetime) -> None:
        unique(refund.refund_id in self._tables.refunds, "refunds_pkey")
        references(refund.order_id in self._tables.orders, "refunds_order_id_fkey")
        check(refund.amount_minor > 0, "refunds_amount_minor_check")
        self._tables.refunds[refund.refund_id] = replace(refund, created_at=at)

    async def page(
        self, where: OrderFilter, after: OrderPosition | None, limit: int
    ) -> list[OrderRecord]:
        def matches(o: OrderRecord) -> bool:
            placed = o.order.placed_at
            return (
                (where.member_id is None or o.order.member_id == where.member_id)
                and (where.guest_id is None or o.order.guest_id == where.guest_id)
                and (where.placed_from is None or placed >= where.placed_from)
                and (where.placed_to is None or placed < where.placed_to)
                and (where.status is None or o.status is where.status)
            )

        return _newest(filter(matches, self._tables.orders.values()), after, limit)

    async def pages_of_members(
        self, member_ids: Sequence[UUID], after: OrderPosition | None, limit: int
    ) -> dict[UUID, list[OrderRecord]]:
        found = {
            m: _newest(
                (o for o in self._tables.orders.values() if o.order.member_id == m), after, limit
            )
            for m in member_ids
        }
        return {m: orders for m, orders in found.items() if orders}

    async def refunds_of(self, order_ids: Sequence[str]) -> dict[str, list[RefundRecord]]:
        found: dict[str, list[RefundRecord]] = {}
        for r in self._tables.refunds.values():
            if r.order_id in order_ids:
                found.setdefault(r.order_id, []).append(r)
        return {
            o: sorted(rs, key=lambda r: (r.created_at or _NEVER, r.refund_id))
            for o, rs in sorted(found.items())
        }


def _position(o: OrderRecord) -> OrderPosition:
    return OrderPosition(o.order.placed_at, o.seq)


def _newest(
    orders: Iterable[OrderRecord], after: OrderPosition | None, limit: int
) -> list[OrderRecord]:
    kept = [o for o in orders if after is None or _position(o) < after]
    return sorted(kept, key=_position, reverse=True)[:limit]
