"""Orders and refunds of one tenant."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.earning import BreakdownLine, Order, OrderLine
from domain.orders import order_to_json
from domain.program import Channel
from domain.records.orders import (
    OrderFilter,
    OrderPosition,
    OrderRecord,
    OrderStatus,
    RefundRecord,
)
from persistence.db import Conn

_COLUMNS = (
    "order_id, body, fingerprint, config_version, earned_points, reversed_points,"
    " refunded_minor, breakdown, created_at, updated_at, tier_multiplier, seq"
)
_REFUND_COLUMNS = "refund_id, order_id, amount_minor, points, created_at"

# Which orders a status is (domain.records.orders.order_status), by the columns it reads.
_STATUS = {
    OrderStatus.PAID: "refunded_minor = 0",
    OrderStatus.PARTIALLY_REFUNDED: "refunded_minor > 0 AND refunded_minor < paid_minor",
    OrderStatus.REFUNDED: "refunded_minor > 0 AND refunded_minor >= paid_minor",
}


def _order(order_id: str, body: dict[str, Any]) -> Order:
    return Order(
        order_id=order_id,
        member_id=UUID(body["member_id"]) if body["member_id"] else None,
        currency=body["currency"],
        channel=Channel(body["channel"]),
        placed_at=datetime.fromisoformat(body["placed_at"]),
        lines=tuple(
            OrderLine(x["sku"], x["quantity"], x["unit_price_minor"], x.get("category"))
            for x in body["lines"]
        ),
        discount_minor=body["discount_minor"],
        shipping_minor=body["shipping_minor"],
        tax_minor=body["tax_minor"],
        guest_id=body.get("guest_id"),
    )


def _record(row: asyncpg.Record) -> OrderRecord:
    return OrderRecord(
        order=_order(row["order_id"], row["body"]),
        fingerprint=row["fingerprint"],
        config_version=row["config_version"],
        earned_points=row["earned_points"],
        reversed_points=row["reversed_points"],
        refunded_minor=row["refunded_minor"],
        breakdown=tuple(BreakdownLine(**b) for b in row["breakdown"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        tier_multiplier=row["tier_multiplier"],
        seq=row["seq"],
    )


class PgOrderRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def lock(self, order_id: str) -> OrderRecord | None:
        # The advisory lock covers an order id that has no row yet, so two first recordings
        # of one order serialise instead of racing to insert.
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(8231, $1)", zlib.crc32(order_id.encode()) - 2**31
        )
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM orders WHERE order_id = $1 FOR UPDATE", order_id
        )
        return _record(row) if row else None

    async def get(self, order_id: str) -> OrderRecord | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM orders WHERE order_id = $1", order_id
        )
        return _record(row) if row else None

    async def save(self, record: OrderRecord, *, insert: bool) -> None:
        o = record.order
        args = (
            o.order_id,
            o.member_id,
            o.currency,
            o.channel.value,
            o.placed_at,
            o.paid_minor,
            record.refunded_minor,
            order_to_json(o),
            record.fingerprint,
            record.config_version,
            record.earned_points,
            record.reversed_points,
            [
                {"rule": b.rule, "description": b.description, "points": b.points}
                for b in record.breakdown
            ],
            record.created_at,
            record.updated_at,
            record.tier_multiplier,
            o.guest_id,
        )
        if insert:
            await self._conn.execute(
                """INSERT INTO orders (order_id, member_id, currency, channel, placed_at,
                       paid_minor, refunded_minor, body, fingerprint, config_version,
                       earned_points, reversed_points, breakdown, created_at, updated_at,
                       tier_multiplier, guest_id)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                           $16, $17)""",
                *args,
            )
        else:
            await self._conn.execute(
                """UPDATE orders SET member_id = $2, currency = $3, channel = $4, placed_at = $5,
                       paid_minor = $6, refunded_minor = $7, body = $8, fingerprint = $9,
                       config_version = $10, earned_points = $11, reversed_points = $12,
                       breakdown = $13, created_at = $14, updated_at = $15,
                       tier_multiplier = $16, guest_id = $17
                   WHERE order_id = $1""",
                *args,
            )

    async def refund(self, refund_id: str) -> RefundRecord | None:
        row = await self._conn.fetchrow(
            f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE refund_id = $1",
            refund_id,
        )
        return RefundRecord(**dict(row)) if row else None

    async def add_refund(self, refund: RefundRecord, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO refunds (refund_id, order_id, amount_minor, points, created_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            refund.refund_id,
            refund.order_id,
            refund.amount_minor,
            refund.points,
            at,
        )

    async def page(
        self, where: OrderFilter, after: OrderPosition | None, limit: int
    ) -> list[OrderRecord]:
        # The status is one of three fixed conditions, never a caller's text.
        status = f"AND {_STATUS[where.status]}" if where.status is not None else ""
        rows = await self._conn.fetch(
            f"""SELECT {_COLUMNS} FROM orders
                WHERE ($1::uuid IS NULL OR member_id = $1)
                  AND ($2::text IS NULL OR guest_id = $2)
                  AND ($3::timestamptz IS NULL OR placed_at >= $3)
                  AND ($4::timestamptz IS NULL OR placed_at < $4)
                  AND ($5::timestamptz IS NULL OR (placed_at, seq) < ($5, $6::bigint))
                  {status}
                ORDER BY placed_at DESC, seq DESC LIMIT $7""",
            where.member_id,
            where.guest_id,
            where.placed_from,
            where.placed_to,
            after.placed_at if after else None,
            after.seq if after else None,
            limit,
        )
        return [_record(r) for r in rows]

    async def pages_of_members(
        self, member_ids: Sequence[UUID], after: OrderPosition | None, limit: int
    ) -> dict[UUID, list[OrderRecord]]:
        rows = await self._conn.fetch(
            f"""SELECT m.id AS listed_member, o.* FROM unnest($1::uuid[]) AS m (id)
                CROSS JOIN LATERAL (
                    SELECT {_COLUMNS} FROM orders
                    WHERE member_id = m.id
                      AND ($2::timestamptz IS NULL OR (placed_at, seq) < ($2, $3::bigint))
                    ORDER BY placed_at DESC, seq DESC LIMIT $4) AS o""",
            list(dict.fromkeys(member_ids)),
            after.placed_at if after else None,
            after.seq if after else None,
            limit,
        )
        found: defaultdict[UUID, list[OrderRecord]] = defaultdict(list)
        for row in rows:
            found[row["listed_member"]].append(_record(row))
        return dict(found)

    async def refunds_of(self, order_ids: Sequence[str]) -> dict[str, list[RefundRecord]]:
        if not order_ids:
            return {}
        rows = await self._conn.fetch(
            f"""SELECT {_REFUND_COLUMNS} FROM refunds WHERE order_id = ANY($1::text[])
                ORDER BY order_id, created_at, refund_id""",
            list(order_ids),
        )
        found: defaultdict[str, list[RefundRecord]] = defaultdict(list)
        for row in rows:
            found[row["order_id"]].append(RefundRecord(**dict(row)))
        return dict(found)
