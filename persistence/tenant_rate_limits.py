"""Each tenant's own request budget (control.tenants.rate_limit_per_minute), kept a few
seconds per process: read on every request, changed rarely."""

from __future__ import annotations

import time
from uuid import UUID

import asyncpg

from domain.errors import DomainError, NotFound

CACHE_SECONDS = 10.0
MAX_PER_MINUTE = 1_000_000


class TenantRateLimits:
    def __init__(self, pool: asyncpg.Pool, *, seconds: float = CACHE_SECONDS) -> None:
        self._pool = pool
        self._seconds = seconds
        self._known: dict[UUID, tuple[float, int | None]] = {}

    async def per_minute(self, tenant_id: UUID) -> int | None:
        """The tenant's budget, or None for the default."""
        hit = self._known.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        value: int | None = await self._pool.fetchval(
            "SELECT rate_limit_per_minute FROM control.tenants WHERE id = $1", tenant_id
        )
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[tenant_id] = (time.monotonic() + self._seconds, value)
        return value

    async def set(self, tenant_id: UUID, per_minute: int | None) -> None:
        """Sets the tenant's budget (None: back to the default); other processes see it
        within CACHE_SECONDS."""
        if per_minute is not None and not 1 <= per_minute <= MAX_PER_MINUTE:
            raise DomainError(
                f"The rate limit must be 1 to {MAX_PER_MINUTE} per minute.",
                field=("perMinute",),
            )
        found = await self._pool.fetchval(
            "UPDATE control.tenants SET rate_limit_per_minute = $2 WHERE id = $1 RETURNING id",
            tenant_id,
            per_minute,
        )
        if found is None:
            raise NotFound("No such tenant.")
        self._known.pop(tenant_id, None)
