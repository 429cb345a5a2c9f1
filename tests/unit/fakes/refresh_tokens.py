"""Members' refresh tokens over the fake tables, by hash."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from domain.records.refresh_tokens import NewRefreshToken, RefreshTokenRecord
from tests.unit.fakes.tables import Tables


class FakeRefreshTokenRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, token: NewRefreshToken) -> None:
        self._tables.refresh_tokens[token.token_hash] = RefreshTokenRecord(
            uuid.uuid4(),
            token.member_id,
            token.device_id,
            token.family_id,
            token.expires_at,
            None,
            None,
        )

    async def lock(self, token_hash: bytes) -> RefreshTokenRecord | None:
        return self._tables.refresh_tokens.get(token_hash)

    async def mark_used(self, token_id: UUID) -> None:
        rows = self._tables.refresh_tokens
        for key, row in rows.items():
            if row.id == token_id:
                rows[key] = replace(row, used_at=datetime.now(UTC))

    async def revoke(self, member_id: UUID, device_id: str | None = None) -> int:
        now, rows, live = datetime.now(UTC), self._tables.refresh_tokens, 0
        for key, row in rows.items():
            mine = row.member_id == member_id and device_id in (None, row.device_id)
            if mine and row.revoked_at is None:
                live += row.used_at is None and row.expires_at > now
                rows[key] = replace(row, revoked_at=now)
        return live
