"""Action events of one tenant: what limits and cooldowns are counted on."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from persistence.db import Conn


class PgActionRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def count_since(self, member_id: UUID, action: str, since: datetime | None) -> int:
        count: int = await self._conn.fetchval(
            """SELECT count(*) FROM action_events
               WHERE member_id = $1 AND action = $2
                 AND ($3::timestamptz IS NULL OR occurred_at >= $3)""",
            member_id,
            action,
            since,
        )
        return count

    async def last_at(self, member_id: UUID, action: str) -> datetime | None:
        last: datetime | None = await self._conn.fetchval(
            "SELECT max(occurred_at) FROM action_events WHERE member_id = $1 AND action = $2",
            member_id,
            action,
        )
        return last

    async def add(self, member_id: UUID, action: str, at: datetime, entry_id: int) -> None:
        await self._conn.execute(
            "INSERT INTO action_events (member_id, action, occurred_at, entry_id)"
            " VALUES ($1, $2, $3, $4)",
            member_id,
            action,
            at,
            entry_id,
        )
