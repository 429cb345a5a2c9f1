"""Segments in a tenant schema: definitions, members' facts, memberships, the worker's pass."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.ledger import DEFAULT_WALLET
from domain.records.segments import RefreshInputs, RefreshState
from domain.segments import MemberFacts, Segment, rule_from_json, rule_to_json
from persistence import member_locks
from persistence.db import Conn

# The facts, the definitions and what each member holds, in one statement: what every
# event of a member reads to keep their segments current. The query is the function's, in
# tenant migration 0025, which the credit of a tenant without tiers also calls
# (persistence/repositories/credit_at_once.py).
REFRESH_INPUTS = "SELECT * FROM segment_refresh_inputs($1::uuid[], $2::boolean)"


def _facts(r: asyncpg.Record) -> MemberFacts:
    return MemberFacts(
        enrolled_at=r["enrolled_at"],
        birthday=r["birthday"],
        order_times=tuple(r["order_times"] or ()),
        order_count=r["order_count"],
        lifetime_spend_minor=r["spend"],
        points_balance=r["balance"],
        last_activity_at=r["last_activity_at"],
        tier=r["tier"],
        in_top_tier=bool(r["top_tier"]),
        nps_score=r["nps_score"],
    )


def _segment(d: dict[str, Any]) -> Segment:
    rule = d["rule"] if isinstance(d["rule"], dict) else json.loads(d["rule"])
    return Segment(d["key"], d["name"], rule_from_json(rule), d["builtin"])


def refresh_inputs_of(rows: Sequence[asyncpg.Record]) -> RefreshInputs:
    """The rows of `segment_refresh_inputs`, or of a statement whose rows end with its
    columns, one per member asked."""
    return RefreshInputs(
        facts={r["asked"]: _facts(r) for r in rows if r["active_member"] is not None},
        stored=[_segment(d) for d in json.loads(rows[0]["defs"])],
        held={r["asked"]: frozenset(r["held"] or ()) for r in rows},
    )


# The members' locks (persistence/member_locks.py) are taken before any of their rows.
_REPLACE_MEMBERSHIPS = f"""WITH locked AS (
    {member_locks.locking("SELECT unnest($1::uuid[]) AS m")}
),
wanted AS (
    SELECT * FROM unnest($2::text[], $3::uuid[]) AS w(segment_key, member_id)),
gone AS (
    DELETE FROM segment_members s
     USING locked
     WHERE s.member_id = ANY($1::uuid[])
       AND NOT EXISTS (SELECT 1 FROM wanted w
                        WHERE w.segment_key = s.segment_key AND w.member_id = s.member_id))
INSERT INTO segment_members (segment_key, member_id, member_seq, since)
SELECT w.segment_key, w.member_id, m.seq, $4
  FROM locked CROSS JOIN wanted w JOIN members m ON m.id = w.member_id
ON CONFLICT DO NOTHING"""


class PgSegmentRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def stored(self) -> list[Segment]:
        rows = await self._conn.fetch("SELECT key, name, rule, builtin FROM segments ORDER BY key")
        return [_segment(dict(r)) for r in rows]

    async def save(self, segment: Segment, at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO segments (key, name, rule, builtin, created_at, updated_at)
               VALUES ($1, $2, $3::jsonb, $4, $5, $5)
               ON CONFLICT (key) DO UPDATE
               SET name = EXCLUDED.name, rule = EXCLUDED.rule, updated_at = EXCLUDED.updated_at""",
            segment.key,
            segment.name,
            json.dumps(rule_to_json(segment.rule)),
            segment.builtin,
            at,
        )

    async def delete(self, key: str) -> bool:
        await self._conn.execute("DELETE FROM segment_members WHERE segment_key = $1", key)
        status = await self._conn.execute("DELETE FROM segments WHERE key = $1", key)
        return bool(status != "DELETE 0")

    async def refresh_inputs(
        self, member_ids: Sequence[UUID], now: datetime, *, tiers: bool = True
    ) -> RefreshInputs:
        if not member_ids:
            return RefreshInputs({}, await self.stored(), {})
        return refresh_inputs_of(await self._conn.fetch(REFRESH_INPUTS, list(member_ids), tiers))

    async def replace_memberships(
        self, member_ids: Sequence[UUID], memberships: Sequence[tuple[str, UUID]], at: datetime
    ) -> None:
        # One statement: the delete and the insert see the same snapshot and touch
        # different rows; a membership kept keeps its `since`. The members' locks come
        # first (both writes join `locked`, so no row is touched before they are held).
        await self._conn.execute(
            _REPLACE_MEMBERSHIPS,
            list(member_ids),
            [k for k, _ in memberships],
            [m for _, m in memberships],
            at,
        )

    async def of_members(self, member_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]:
        rows = await self._conn.fetch(
            """SELECT member_id, array_agg(segment_key ORDER BY segment_key) AS keys
                 FROM segment_members WHERE member_id = ANY($1::uuid[]) GROUP BY member_id""",
            list(member_ids),
        )
        found = {r["member_id"]: frozenset(r["keys"]) for r in rows}
        return {m: found.get(m, frozenset()) for m in member_ids}

    async def member_page(self, key: str, after_seq: int | None, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            """SELECT member_id FROM segment_members
                WHERE segment_key = $1 AND ($2::bigint IS NULL OR member_seq > $2)
                ORDER BY member_seq LIMIT $3""",
            key,
            after_seq,
            limit,
        )
        return [r["member_id"] for r in rows]

    async def count(self, key: str) -> int:
        found = await self._conn.fetchval(
            "SELECT count(*) FROM segment_members WHERE segment_key = $1", key
        )
        return int(found)

    async def lock_refresh(self) -> RefreshState:
        row = await self._conn.fetchrow("SELECT cursor, due_at FROM segment_refresh FOR UPDATE")
        assert row is not None
        return RefreshState(row["cursor"], row["due_at"])

    async def save_refresh(self, state: RefreshState) -> None:
        await self._conn.execute(
            "UPDATE segment_refresh SET cursor = $1, due_at = $2", state.cursor, state.due_at
        )

    async def members_after(self, after_seq: int | None, limit: int) -> list[tuple[UUID, int]]:
        rows = await self._conn.fetch(
            """SELECT id, seq FROM members WHERE ($1::bigint IS NULL OR seq > $1)
                ORDER BY seq LIMIT $2""",
            after_seq,
            limit,
        )
        return [(r["id"], r["seq"]) for r in rows]

    async def quiet(self, member_ids: Sequence[UUID]) -> list[UUID]:
        rows = await self._conn.fetch(
            f"""WITH held AS (
                    SELECT member_id FROM balances
                     WHERE member_id = ANY($1::uuid[]) AND wallet = '{DEFAULT_WALLET}'
                     ORDER BY member_id FOR SHARE SKIP LOCKED)
                SELECT i.id FROM unnest($1::uuid[]) AS i(id)
                 WHERE i.id IN (SELECT member_id FROM held)
                    OR NOT EXISTS (SELECT 1 FROM balances b
                                    WHERE b.member_id = i.id AND b.wallet = '{DEFAULT_WALLET}')""",
            list(member_ids),
        )
        return [r["id"] for r in rows]
