"""Idempotency keys in memory, as persistence/repositories/idempotency.py keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.records.idempotency import IdempotencyRecord
from tests.unit.fakes.tables import Tables


class FakeIdempotencyStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def claim(
        self, key: str, operation: str, digest: str, at: datetime
    ) -> IdempotencyRecord | None:
        keys = self._tables.idempotency_keys
        if key in keys:
            return keys[key]
        # A claimed key has no result until complete() (the column is NULL, read as {}).
        keys[key] = IdempotencyRecord(operation, digest, {})
        return None

    async def complete(self, key: str, result: dict[str, Any]) -> None:
        keys = self._tables.idempotency_keys
        if key in keys:
            keys[key] = replace(keys[key], result=dict(result))
