"""One member's ledger as rows that two members given the same operations share: entries,
lots, draws, the balance row and the idempotency keys' results, ids replaced by positions and
keys stripped of the prefix each member's keys carry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.services import Services


async def ledger_of(
    services: Services, schema: str, member_id: UUID, prefix: str
) -> dict[str, Any]:
    async with services.pool.acquire() as conn:
        entries = await conn.fetch(
            f"""SELECT id, kind, available_delta, pending_delta, lifetime_delta, debt_delta,
                       shortfall, reason, note, actor, config_version, created_at, order_id,
                       rate, idempotency_key
                FROM "{schema}".ledger_entries WHERE member_id = $1 ORDER BY id""",
            member_id,
        )
        position = {row["id"]: i for i, row in enumerate(entries)}
        lots = await conn.fetch(
            f"""SELECT entry_id, points, remaining, available_at, expires_at, pending, order_id
                FROM "{schema}".lots WHERE member_id = $1 ORDER BY id""",
            member_id,
        )
        draws = await conn.fetch(
            f"""SELECT d.entry_id, d.lot_id, d.points FROM "{schema}".lot_draws d
                JOIN "{schema}".lots l ON l.id = d.lot_id WHERE l.member_id = $1
                ORDER BY d.entry_id, d.lot_id""",
            member_id,
        )
        balance = await conn.fetchrow(
            f"""SELECT available, pending, lifetime, version, debt, next_due_at,
                       last_activity_at
                FROM "{schema}".balances WHERE member_id = $1""",
            member_id,
        )
        keys = await conn.fetch(
            f"""SELECT key, operation, result FROM "{schema}".idempotency_keys
                WHERE key LIKE $1 ORDER BY key""",
            prefix + "-%",
        )
    lot_position = {}
    async with services.pool.acquire() as conn:
        lot_ids = await conn.fetch(
            f'SELECT id FROM "{schema}".lots WHERE member_id = $1 ORDER BY id', member_id
        )
        lot_position = {row["id"]: i for i, row in enumerate(lot_ids)}

    def unkeyed(key: str | None) -> str | None:
        return key.removeprefix(prefix + "-") if key else None

    def unprefixed(values: Any) -> tuple[Any, ...]:
        """Keys and order ids (and the reasons that name them) without the member's prefix."""
        return tuple(v.replace(prefix + "-", "") if isinstance(v, str) else v for v in values)

    return {
        "entries": [unprefixed(tuple(row.values())[1:]) for row in entries],
        "lots": [(position[row["entry_id"]], *unprefixed(tuple(row.values())[1:])) for row in lots],
        "draws": [
            (position[row["entry_id"]], lot_position[row["lot_id"]], row["points"]) for row in draws
        ],
        "balance": tuple(balance.values()) if balance else None,
        "keys": [
            (
                unkeyed(row["key"]),
                row["operation"],
                position.get((row["result"] or {}).get("entryId")),
            )
            for row in keys
        ],
    }
