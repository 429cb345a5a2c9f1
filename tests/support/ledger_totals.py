"""What a tenant's ledger holds, read in SQL on a connection of its own (a test that crashed the
database holds no pooled connection the crash may have broken)."""

from __future__ import annotations

import asyncpg

from api.schema.common.ids import to_global_id


async def entry_totals(url: str, schema: str) -> dict[str, tuple[int, int]]:
    """Each member's (available, lifetime) points summed over its ledger entries, by the
    member's global id."""
    rows = await _fetch(
        url,
        f"""SELECT member_id, sum(available_delta) AS available,
                   sum(lifetime_delta) AS lifetime
            FROM "{schema}".ledger_entries GROUP BY member_id""",
    )
    return {to_global_id("Member", r["member_id"]): (r["available"], r["lifetime"]) for r in rows}


async def entries_per_key(url: str, schema: str) -> dict[str, int]:
    """How many entries each idempotency key (an adjustment's key, an order's id) produced."""
    rows = await _fetch(
        url,
        f"""SELECT coalesce(idempotency_key, order_id) AS key, count(*) AS entries
            FROM "{schema}".ledger_entries
            WHERE idempotency_key IS NOT NULL OR (kind = 'EARN' AND order_id IS NOT NULL)
            GROUP BY 1""",
    )
    return {r["key"]: r["entries"] for r in rows}


async def _fetch(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()
