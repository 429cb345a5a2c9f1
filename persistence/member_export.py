"""Everything a tenant holds about one member, as JSON (exportMember, a data-subject access
request): read in one statement, so one snapshot, in which the ledger entries sum to the
balances exported with them."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from persistence.uow import PgTenantUnitOfWork

# Each part: its name in the export, and the rows of it (`$1` the member), oldest first.
_PARTS = {
    "balances": "SELECT * FROM balances WHERE member_id = $1 ORDER BY wallet",
    "ledgerEntries": "SELECT * FROM ledger_entries WHERE member_id = $1 ORDER BY id",
    "lots": "SELECT * FROM lots WHERE member_id = $1 ORDER BY id",
    "orders": "SELECT * FROM orders WHERE member_id = $1 ORDER BY placed_at, order_id",
    "refunds": """SELECT r.* FROM refunds r JOIN orders o USING (order_id)
                  WHERE o.member_id = $1 ORDER BY r.created_at, r.refund_id""",
    "actions": "SELECT * FROM action_events WHERE member_id = $1 ORDER BY id",
    "redemptions": "SELECT * FROM redemptions WHERE member_id = $1 ORDER BY seq",
    "referrals": """SELECT * FROM referrals WHERE referrer_id = $1 OR referee_id = $1
                    ORDER BY seq""",
    "surveyResponses": "SELECT * FROM survey_responses WHERE member_id = $1 ORDER BY seq",
    "segments": "SELECT * FROM segment_members WHERE member_id = $1 ORDER BY segment_key",
    "tier": "SELECT * FROM member_tiers WHERE member_id = $1",
    "tierHistory": "SELECT * FROM tier_history WHERE member_id = $1 ORDER BY id",
}

_MEMBER = "'member', (SELECT row_to_json(m) FROM members m WHERE id = $1)"
_EXPORT = "SELECT json_build_object({}, {})".format(
    _MEMBER,
    ", ".join(
        f"'{name}', (SELECT coalesce(json_agg(row_to_json(x)), '[]') FROM ({sql}) x)"
        for name, sql in _PARTS.items()
    ),
)


async def export_member(pool: asyncpg.Pool, schema: str, member_id: UUID) -> dict[str, Any] | None:
    """None when the tenant has no such member."""
    async with PgTenantUnitOfWork(pool, schema) as uow:
        raw = await uow.connection.fetchval(_EXPORT, member_id)
    exported: dict[str, Any] = json.loads(raw)
    return exported if exported.get("member") is not None else None
