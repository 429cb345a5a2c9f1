"""Operator sessions in the control schema: one row per login, read on every request of
the session, so a logout or a revocation is seen at once by every replica (nothing about a
session is cached in a process)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from persistence.db import Conn

# A request of a session moves its last_seen_at only when it is older than this: a busy
# console does not write a row per request.
TOUCH_EVERY = "1 minute"
USER_AGENT_MAX = 300


@dataclass(frozen=True, slots=True)
class SessionHolder:
    """The operator behind a live session, as the request's principal needs it."""

    operator_id: UUID
    agency_id: UUID | None
    role: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None


_COLUMNS = "id, created_at, last_seen_at, expires_at, user_agent"


class OperatorSessions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def open(
        self,
        operator_id: UUID,
        expires_at: datetime,
        user_agent: str | None,
        *,
        conn: Conn | None = None,
    ) -> UUID:
        session_id = uuid.uuid4()
        await (conn or self._pool).execute(
            """INSERT INTO control.operator_sessions (id, operator_id, expires_at, user_agent)
               VALUES ($1, $2, $3, $4)""",
            session_id,
            operator_id,
            expires_at,
            (user_agent or None) and user_agent[:USER_AGENT_MAX],
        )
        return session_id

    async def holder(self, session_id: UUID, operator_id: UUID) -> SessionHolder | None:
        """The session's operator while the session is live (not revoked, not expired, its
        operator not removed); touches last_seen_at now and then."""
        row = await self._pool.fetchrow(
            f"""WITH live AS (
                    SELECT s.id, o.id AS operator_id, o.agency_id, o.role, s.last_seen_at
                    FROM control.operator_sessions s
                    JOIN control.operators o ON o.id = s.operator_id
                    WHERE s.id = $1 AND s.operator_id = $2
                      AND s.revoked_at IS NULL AND s.expires_at > now()),
                touched AS (
                    UPDATE control.operator_sessions SET last_seen_at = now()
                    WHERE id IN (SELECT id FROM live
                                 WHERE last_seen_at < now() - interval '{TOUCH_EVERY}'))
                SELECT operator_id, agency_id, role FROM live""",
            session_id,
            operator_id,
        )
        return SessionHolder(**dict(row)) if row else None

    async def live(self, operator_id: UUID) -> list[SessionRecord]:
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM control.operator_sessions
                WHERE operator_id = $1 AND revoked_at IS NULL AND expires_at > now()
                ORDER BY created_at DESC, id
                LIMIT 100""",
            operator_id,
        )
        return [SessionRecord(**dict(r)) for r in rows]

    async def revoke(self, operator_id: UUID, session_id: UUID) -> bool:
        """Ends one of the operator's own sessions; False when it has no such live one."""
        revoked = await self._pool.fetchval(
            """UPDATE control.operator_sessions SET revoked_at = now()
               WHERE id = $1 AND operator_id = $2 AND revoked_at IS NULL RETURNING true""",
            session_id,
            operator_id,
        )
        return bool(revoked)

    async def revoke_others(
        self, operator_id: UUID, keep: UUID | None, *, conn: Conn | None = None
    ) -> int:
        """Ends every session of the operator but `keep`; how many it ended."""
        ended = await (conn or self._pool).fetchval(
            """WITH ended AS (
                   UPDATE control.operator_sessions SET revoked_at = now()
                   WHERE operator_id = $1 AND revoked_at IS NULL
                     AND id IS DISTINCT FROM $2 RETURNING 1)
               SELECT count(*) FROM ended""",
            operator_id,
            keep,
        )
        return int(ended)
