"""Loads many lots for one member straight in SQL, as a bulk import would: no ANALYZE after.

Lots `first`..`last` (numbers, so a load can come in parts): every tenth pending for a day,
every seventh of the others never expiring, the rest expiring in 30 days and up; three lots
to an order. Each lot has its +1 ADJUST entry, so the ledger's foreign keys hold.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ledger import DEFAULT_WALLET

_BULK = """
WITH e AS (
    INSERT INTO ledger_entries
        (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
         reason, actor, created_at)
    SELECT $1, $2, 'ADJUST', 1, 0, 1, 'bulk', 'bulk', now()
    FROM generate_series($3::int, $4::int)
    RETURNING id
), numbered AS (
    SELECT id, $3::int - 1 + row_number() OVER (ORDER BY id) AS g FROM e
)
INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at, expires_at,
                  pending, order_id)
SELECT $1, $2, id, 1, 1,
       CASE WHEN g % 10 = 0 THEN now() + interval '1 day' ELSE now() END,
       CASE WHEN g % 10 <> 0 AND g % 7 = 0 THEN NULL
            ELSE now() + interval '30 days' + make_interval(secs => g) END,
       g % 10 = 0, 'order-' || g / 3
FROM numbered
"""
# Autovacuum would analyse the tables after a load this size; plans must not count on it.
_NO_AUTOVACUUM = (
    "ALTER TABLE {table} SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)"
)


async def without_autovacuum(conn: Any, *tables: str) -> None:
    for table in tables:
        await conn.execute(_NO_AUTOVACUUM.format(table=table))


async def load_lots(conn: Any, member_id: UUID, first: int, last: int) -> None:
    """Lots `first`..`last` for the member's points wallet (search_path set by the caller)."""
    await conn.execute(
        "INSERT INTO balances (member_id, wallet) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        member_id,
        DEFAULT_WALLET,
    )
    await conn.execute(_BULK, member_id, DEFAULT_WALLET, first, last)
