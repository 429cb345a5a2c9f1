"""The browser origins each tenant allows (control.tenants.allowed_origins), remembered per
process.

Every browser request with a key reads its tenant's origins, and every preflight asks
whether any tenant allows an origin; both change only when an operator configures them.
This process remembers, as the API keys are remembered (persistence/control_store.py):

- a tenant's origins, for a few seconds; and the set of origins any tenant allows, read
  whole in one query, so that preflights from made-up origins cost no query each.
- A change announces the tenant's id on ORIGIN_CHANGES (PostgreSQL LISTEN/NOTIFY, sent when
  the change commits); every listening process forgets that tenant and the whole set as
  soon as it arrives. The process making the change forgets them itself at once.
- A read that raced an announcement does not remember what it read.
- The cache time bounds only what a process misses while its listening connection is down,
  and then it is short (persistence/hearing.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from persistence.hearing import Hearing

ORIGIN_CHANGES = "loyalty_allowed_origins_changed"
ORIGINS_SECONDS = 5.0
CACHE_SIZE = 10_000


class AllowedOrigins:
    channel = ORIGIN_CHANGES

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        seconds: float = ORIGINS_SECONDS,
        hearing: Hearing | None = None,
    ) -> None:
        self._pool = pool
        self._seconds = seconds
        self._hearing = hearing or Hearing()
        self._by_tenant: OrderedDict[UUID, tuple[float, frozenset[str]]] = OrderedDict()
        self._anywhere: tuple[float, frozenset[str]] | None = None
        self._reading_anywhere: asyncio.Lock | None = None
        # Bumped by each change: a read that raced one does not remember what it read.
        self._changes = 0

    async def of_tenant(self, tenant_id: UUID) -> frozenset[str]:
        hit = self._by_tenant.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        changes = self._changes
        stored = await self._pool.fetchval(
            "SELECT allowed_origins FROM control.tenants WHERE id = $1", tenant_id
        )
        origins = frozenset(stored or ())
        trust = self._hearing.trust(self._seconds)
        if trust > 0 and changes == self._changes:
            self._by_tenant[tenant_id] = (time.monotonic() + trust, origins)
            self._by_tenant.move_to_end(tenant_id)
            if len(self._by_tenant) > CACHE_SIZE:
                self._by_tenant.popitem(last=False)
        return origins

    async def allowed_anywhere(self, origin: str) -> bool:
        """Whether at least one tenant allows `origin` (what a preflight can know)."""
        return origin in await self._all()

    async def _all(self) -> frozenset[str]:
        hit = self._anywhere
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        # One read at a time: a burst of preflights waits for it instead of each reading.
        if self._reading_anywhere is None:
            self._reading_anywhere = asyncio.Lock()
        async with self._reading_anywhere:
            hit = self._anywhere
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            changes = self._changes
            rows = await self._pool.fetch(
                "SELECT DISTINCT unnest(allowed_origins) AS origin FROM control.tenants"
            )
            found = frozenset(r["origin"] for r in rows)
            trust = self._hearing.trust(self._seconds)
            if trust > 0 and changes == self._changes:
                self._anywhere = (time.monotonic() + trust, found)
            return found

    async def configure(self, tenant_id: UUID, origins: Sequence[str]) -> tuple[str, ...] | None:
        """Stores the tenant's origins (already in canonical form); None if there is no such
        tenant."""
        self.forget(tenant_id)
        # The announcement is sent when the change commits, to every listening process.
        row = await self._pool.fetchrow(
            f"""WITH changed AS (
                    UPDATE control.tenants SET allowed_origins = $2 WHERE id = $1
                    RETURNING id, allowed_origins)
                SELECT allowed_origins, pg_notify('{ORIGIN_CHANGES}', id::text) FROM changed""",
            tenant_id,
            list(origins),
        )
        self.forget(tenant_id)
        return None if row is None else tuple(row["allowed_origins"])

    def forget(self, tenant_id: UUID) -> None:
        self._changes += 1
        self._by_tenant.pop(tenant_id, None)
        self._anywhere = None

    def forget_all(self) -> None:
        """Announcements may have been missed (the listening connection was lost)."""
        self._changes += 1
        self._by_tenant.clear()
        self._anywhere = None

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.forget(UUID(str(payload)))
