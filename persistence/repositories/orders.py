"""Orders and refunds of one tenant."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.earning import BreakdownLine, Order, OrderLine
from domain.orders import order_to_json
from domain.program import Channel
from domain.records.orders import OrderRecord, RefundRecord
from persistence.db import Conn

_COLUMNS = (
    "order_id, body, fingerprint, config_version, earned_points, reversed_points,"
    " refunded_minor, breakdown, created_at, updated_at, tier_multiplier"
)


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
            "SELECT refund_id, order_id, amount_minor, points FROM refunds WHERE refund_id = $1",
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
