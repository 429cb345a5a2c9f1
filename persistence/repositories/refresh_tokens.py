"""Members' refresh tokens (domain/member_sessions.py), by keyed hash."""

from __future__ import annotations

import uuid
from uuid import UUID

from asyncpg.pool import PoolConnectionProxy

from domain.records.refresh_tokens import NewRefreshToken, RefreshTokenRecord


class PgRefreshTokenRepository:
    def __init__(self, conn: PoolConnectionProxy) -> None:
        self._conn = conn

    async def add(self, token: NewRefreshToken) -> None:
        await self._conn.execute(
            """INSERT INTO member_refresh_tokens
                   (id, member_id, device_id, family_id, token_hash, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            uuid.uuid4(),
            token.member_id,
            token.device_id,
            token.family_id,
            token.token_hash,
            token.expires_at,
        )

    async def lock(self, token_hash: bytes) -> RefreshTokenRecord | None:
        # FOR UPDATE: two exchanges of one token run one after the other, so the second
        # sees the first's mark and is taken for the reuse it is.
        row = await self._conn.fetchrow(
            """SELECT id, member_id, device_id, family_id, expires_at, used_at, revoked_at
               FROM member_refresh_tokens WHERE token_hash = $1 FOR UPDATE""",
            token_hash,
        )
        return RefreshTokenRecord(**dict(row)) if row is not None else None

    async def mark_used(self, token_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE member_refresh_tokens SET used_at = now() WHERE id = $1", token_id
        )

    async def revoke(self, member_id: UUID, device_id: str | None = None) -> int:
        revoked = await self._conn.fetchval(
            """WITH gone AS (
                   UPDATE member_refresh_tokens SET revoked_at = now()
                   WHERE member_id = $1 AND ($2::text IS NULL OR device_id = $2)
                     AND revoked_at IS NULL
                   RETURNING used_at, expires_at)
               SELECT count(*) FILTER (WHERE used_at IS NULL AND expires_at > now())
               FROM gone""",
            member_id,
            device_id,
        )
        return int(revoked)
