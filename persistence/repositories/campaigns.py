"""Win-back campaigns in a tenant schema: the campaign, its per-member grants, its results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.records.segments import Campaign, CampaignStatus, GrantDone, GrantStatus, WinBack
from persistence.db import Conn

_COLUMNS = (
    "id, seq, key, segment_key, points, reward_id, reason, fingerprint, status, total, granted,"
    " skipped, created_at, finished_at"
)


def _campaign(r: asyncpg.Record) -> Campaign:
    return Campaign(**{**dict(r), "status": CampaignStatus(r["status"])})


# Granted members, and those of them with an order (not refunded in full) in the $1 days
# after their grant; the caller adds which grants.
_WIN_BACK = """SELECT count(*) AS members,
                      count(*) FILTER (WHERE EXISTS (
                          SELECT 1 FROM orders o
                           WHERE o.member_id = g.member_id
                             AND o.placed_at > g.granted_at
                             AND o.placed_at <= g.granted_at + make_interval(days => $1)
                             AND (o.refunded_minor < o.paid_minor OR o.paid_minor = 0)
                      )) AS reordered
                 FROM winback_grants g"""


class PgCampaignRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, campaign: Campaign) -> Campaign | None:
        # ON CONFLICT waits for a concurrent insert of the same key to commit or roll back.
        row = await self._conn.fetchrow(
            f"""INSERT INTO winback_campaigns
                    (id, key, segment_key, points, reward_id, reason, fingerprint, status,
                     total, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'RUNNING',
                        (SELECT count(*) FROM segment_members WHERE segment_key = $3), $8)
                ON CONFLICT (key) DO NOTHING
                RETURNING {_COLUMNS}""",
            campaign.id,
            campaign.key,
            campaign.segment_key,
            campaign.points,
            campaign.reward_id,
            campaign.reason,
            campaign.fingerprint,
            campaign.created_at,
        )
        if row is None:
            return None
        await self._conn.execute(
            """INSERT INTO winback_grants (campaign_id, member_id)
               SELECT $1, member_id FROM segment_members WHERE segment_key = $2""",
            campaign.id,
            campaign.segment_key,
        )
        return _campaign(row)

    async def by_key(self, key: str) -> Campaign | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM winback_campaigns WHERE key = $1", key
        )
        return _campaign(row) if row else None

    async def get(self, campaign_id: UUID) -> Campaign | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM winback_campaigns WHERE id = $1", campaign_id
        )
        return _campaign(row) if row else None

    async def claim_pending(self, campaign_id: UUID, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            """SELECT member_id FROM winback_grants
                WHERE campaign_id = $1 AND status = 'PENDING'
                ORDER BY member_id LIMIT $2 FOR UPDATE SKIP LOCKED""",
            campaign_id,
            limit,
        )
        return [r["member_id"] for r in rows]

    async def record(self, campaign_id: UUID, done: Sequence[GrantDone], at: datetime) -> Campaign:
        await self._conn.execute(
            """UPDATE winback_grants g
                  SET status = d.status, entry_id = d.entry_id,
                      redemption_id = d.redemption_id, granted_at = $6
                 FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::uuid[])
                      AS d(member_id, status, entry_id, redemption_id)
                WHERE g.campaign_id = $1 AND g.member_id = d.member_id""",
            campaign_id,
            [d.member_id for d in done],
            [d.status.value for d in done],
            [d.entry_id for d in done],
            [d.redemption_id for d in done],
            at,
        )
        granted = sum(1 for d in done if d.status is GrantStatus.GRANTED)
        # The campaign's row is locked here, last: concurrent batches of one campaign queue
        # on it only for the end of their transactions.
        row = await self._conn.fetchrow(
            f"""UPDATE winback_campaigns c
                   SET granted = granted + $2, skipped = skipped + $3,
                       status = CASE WHEN EXISTS (
                           SELECT 1 FROM winback_grants g
                            WHERE g.campaign_id = c.id AND g.status = 'PENDING'
                              AND NOT (g.member_id = ANY($5::uuid[])))
                         THEN status ELSE 'DONE' END,
                       finished_at = CASE WHEN EXISTS (
                           SELECT 1 FROM winback_grants g
                            WHERE g.campaign_id = c.id AND g.status = 'PENDING'
                              AND NOT (g.member_id = ANY($5::uuid[])))
                         THEN finished_at ELSE coalesce(finished_at, $4) END
                 WHERE id = $1
                 RETURNING {_COLUMNS}""",
            campaign_id,
            granted,
            len(done) - granted,
            at,
            [d.member_id for d in done],
        )
        assert row is not None
        return _campaign(row)

    async def running(self, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            "SELECT id FROM winback_campaigns WHERE status = 'RUNNING' ORDER BY seq LIMIT $1",
            limit,
        )
        return [r["id"] for r in rows]

    async def win_back(self, campaign_id: UUID, days: int) -> WinBack:
        row = await self._conn.fetchrow(
            f"{_WIN_BACK} WHERE g.campaign_id = $2 AND g.status = 'GRANTED'", days, campaign_id
        )
        assert row is not None
        return WinBack(row["members"], row["reordered"])

    async def win_back_granted_between(self, start: datetime, end: datetime, days: int) -> WinBack:
        row = await self._conn.fetchrow(
            f"""{_WIN_BACK} WHERE g.status = 'GRANTED'
                  AND g.granted_at >= $2 AND g.granted_at < $3""",
            days,
            start,
            end,
        )
        assert row is not None
        return WinBack(row["members"], row["reordered"])
