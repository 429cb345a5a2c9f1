"""Referrals and the referral program's settings in a tenant schema."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from domain.records.referrals import Referral, ReferralStats, ReferralStatus, RejectReason
from domain.referral_settings import DEFAULT_SETTINGS, ReferralSettings, from_json, to_json
from persistence.db import Conn
from persistence.repositories import versioned
from persistence.repositories.keyset import newest_first

_COLUMNS = (
    "id, seq, referrer_id, referee_id, code, status, reject_reason, qualifying_order_id,"
    " referrer_points, referee_points, referrer_entry_id, referee_entry_id,"
    " referrer_redemption_id, referee_redemption_id, created_at, rewarded_at, reversed_at"
)
_OF_REFERRER = newest_first(_COLUMNS, "referrals", "referrer_id")


def _referral(row: asyncpg.Record) -> Referral:
    values = dict(row)
    values["status"] = ReferralStatus(row["status"])
    values["reject_reason"] = RejectReason(row["reject_reason"]) if row["reject_reason"] else None
    return Referral(**values)


class PgReferralRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def settings(self) -> ReferralSettings:
        row = await versioned.latest(self._conn, "referral_settings")
        return from_json(row["version"], row["config"]) if row else DEFAULT_SETTINGS

    async def save_settings(self, settings: ReferralSettings, at: datetime, by: str | None) -> None:
        await versioned.add_version(
            self._conn,
            "referral_settings",
            settings.version,
            to_json(settings),
            at,
            by,
            conflict="The referral settings were changed at the same time; read them again and "
            "retry.",
        )

    async def look_alikes(self, email: str, before_seq: int, except_ids: list[UUID]) -> int:
        count: int = await self._conn.fetchval(
            """SELECT count(*) FROM members
               WHERE comparable_email(email) = comparable_email($1)
                 AND seq < $2 AND NOT (id = ANY($3::uuid[]))""",
            email,
            before_seq,
            except_ids,
        )
        return count

    async def add(self, referral: Referral) -> Referral:
        row = await self._conn.fetchrow(
            f"""INSERT INTO referrals (id, referrer_id, referee_id, code, status, reject_reason,
                    created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
            referral.id,
            referral.referrer_id,
            referral.referee_id,
            referral.code,
            referral.status.value,
            referral.reject_reason.value if referral.reject_reason else None,
            referral.created_at,
        )
        assert row is not None
        return _referral(row)

    async def get(self, referral_id: UUID) -> Referral | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM referrals WHERE id = $1", referral_id
        )
        return _referral(row) if row else None

    async def for_referee(self, referee_id: UUID, *, lock: bool = False) -> Referral | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM referrals WHERE referee_id = $1"
            + (" FOR UPDATE" if lock else ""),
            referee_id,
        )
        return _referral(row) if row else None

    async def for_order(self, order_id: str) -> Referral | None:
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM referrals WHERE qualifying_order_id = $1", order_id
        )
        return _referral(row) if row else None

    async def update(self, referral: Referral) -> None:
        await self._conn.execute(
            """UPDATE referrals SET status = $2, reject_reason = $3, qualifying_order_id = $4,
                   referrer_points = $5, referee_points = $6, referrer_entry_id = $7,
                   referee_entry_id = $8, referrer_redemption_id = $9,
                   referee_redemption_id = $10, rewarded_at = $11, reversed_at = $12
               WHERE id = $1""",
            referral.id,
            referral.status.value,
            referral.reject_reason.value if referral.reject_reason else None,
            referral.qualifying_order_id,
            referral.referrer_points,
            referral.referee_points,
            referral.referrer_entry_id,
            referral.referee_entry_id,
            referral.referrer_redemption_id,
            referral.referee_redemption_id,
            referral.rewarded_at,
            referral.reversed_at,
        )

    async def rewarded_since(self, referrer_id: UUID, since: datetime | None) -> int:
        count: int = await self._conn.fetchval(
            """SELECT count(*) FROM referrals
               WHERE referrer_id = $1 AND status = 'REWARDED'
                 AND ($2::timestamptz IS NULL OR rewarded_at >= $2)""",
            referrer_id,
            since,
        )
        return count

    async def for_referrer(
        self, referrer_id: UUID, before_seq: int | None, limit: int
    ) -> list[Referral]:
        rows = await self._conn.fetch(_OF_REFERRER, referrer_id, before_seq, limit)
        return [_referral(r) for r in rows]

    async def stats(self, referrer_id: UUID) -> ReferralStats:
        row = await self._conn.fetchrow(
            """SELECT count(*) AS invited,
                      count(*) FILTER (WHERE status = 'PENDING') AS pending,
                      count(*) FILTER (WHERE status = 'REWARDED') AS rewarded,
                      count(*) FILTER (WHERE status = 'REJECTED') AS rejected,
                      count(*) FILTER (WHERE status = 'REVERSED') AS reversed,
                      coalesce(sum(referrer_points) FILTER (WHERE status = 'REWARDED'), 0)
                          AS points_earned,
                      coalesce((SELECT clicks FROM referral_clicks WHERE member_id = $1), 0)
                          AS clicks
               FROM referrals WHERE referrer_id = $1""",
            referrer_id,
        )
        assert row is not None
        return ReferralStats(**dict(row))

    async def count_click(self, member_id: UUID, at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO referral_clicks (member_id, clicks, last_clicked_at) VALUES ($1, 1, $2)
               ON CONFLICT (member_id) DO UPDATE
               SET clicks = referral_clicks.clicks + 1,
                   last_clicked_at = greatest(referral_clicks.last_clicked_at, $2)""",
            member_id,
            at,
        )
