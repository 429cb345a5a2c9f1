"""Idempotency keys of one tenant, claimed inside the transaction that does the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.records.idempotency import IdempotencyRecord
from persistence.db import Conn


class PgIdempotencyStore:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def claim(
        self, key: str, operation: str, digest: str, at: datetime
    ) -> IdempotencyRecord | None:
        # A concurrent insert of the same key blocks here until the other transaction ends:
        # if it committed we see its record below, if it rolled back our insert wins.
        claimed = await self._conn.fetchval(
            """INSERT INTO idempotency_keys (key, operation, fingerprint, created_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING RETURNING true""",
            key,
            operation,
            digest,
            at,
        )
        if claimed:
            return None
        row = await self._conn.fetchrow(
            "SELECT operation, fingerprint, result FROM idempotency_keys WHERE key = $1", key
        )
        assert row is not None
        return IdempotencyRecord(row["operation"], row["fingerprint"], row["result"] or {})

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        await self._conn.execute(
            "UPDATE idempotency_keys SET result = $2 WHERE key = $1", key, result
        )
