"""The tenant registry in the control schema, with a short in-process cache of lookups.

A change of a tenant's status (suspension, archive, deletion: tenants/lifecycle.py) is
announced on TENANT_CHANGES (PostgreSQL LISTEN/NOTIFY, persistence/announcements.py) when it
commits: every listening process forgets the tenant at once, so its keys and member tokens
are refused on the next request anywhere. A process that does not hear announcements keeps
what it read for a short time only (`trust`, persistence/hearing.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

COLUMNS = (
    "id, slug, name, agency_id, schema_name, placement, jwt_secret, status, created_at,"
    " status_reason, suspended_at, archived_at"
)
# Tenants change rarely, and every change of status is announced: a process that hears the
# announcements keeps a tenant this long.
CACHE_SECONDS = 10.0
TENANT_CHANGES = "loyalty_tenant_changed"


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    slug: str
    name: str
    agency_id: UUID | None
    schema_name: str
    placement: str
    jwt_secret: bytes
    status: str
    created_at: datetime
    status_reason: str | None = None
    suspended_at: datetime | None = None
    archived_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


def tenant_from_row(row: asyncpg.Record) -> Tenant:
    return Tenant(**dict(row))


class TenantRegistry:
    channel = TENANT_CHANGES

    def __init__(self, pool: asyncpg.Pool, trust: Callable[[float], float] | None = None) -> None:
        self._pool = pool
        self._by_id: dict[UUID, tuple[float, Tenant]] = {}
        # How long to keep what was read, given how long it may be kept while every change is
        # heard (persistence/hearing.py's Hearing.trust); none: a short time only.
        self._trust = trust or (lambda seconds: min(seconds, 1.0))
        # Bumped by each change heard: a lookup that raced one does not cache what it read.
        self._changes = 0

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.forget(UUID(str(payload)))

    def forget_all(self) -> None:
        self._changes += 1
        self._by_id.clear()

    async def get(self, tenant_id: UUID) -> Tenant | None:
        hit = self._by_id.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        changes = self._changes
        row = await self._pool.fetchrow(
            f"SELECT {COLUMNS} FROM control.tenants WHERE id = $1", tenant_id
        )
        if row is None:
            return None
        tenant = tenant_from_row(row)
        seconds = self._trust(CACHE_SECONDS)
        if seconds > 0 and changes == self._changes:
            self._by_id[tenant_id] = (time.monotonic() + seconds, tenant)
        return tenant

    async def by_slug(self, slug: str) -> Tenant | None:
        row = await self._pool.fetchrow(
            f"SELECT {COLUMNS} FROM control.tenants WHERE slug = $1", slug
        )
        return tenant_from_row(row) if row else None

    async def by_slug_or_id(self, ref: str) -> Tenant | None:
        try:
            return await self.get(UUID(ref))
        except ValueError:
            return await self.by_slug(ref.strip().lower())

    async def for_operator(self, operator_id: UUID) -> list[tuple[Tenant, str]]:
        rows = await self._pool.fetch(
            f"""SELECT {", ".join("t." + c for c in COLUMNS.split(", "))}, m.role
                FROM control.memberships m JOIN control.tenants t ON t.id = m.tenant_id
                WHERE m.operator_id = $1 ORDER BY t.slug""",
            operator_id,
        )
        return [
            (tenant_from_row({k: v for k, v in r.items() if k != "role"}), r["role"])  # type: ignore[arg-type]
            for r in rows
        ]

    async def active(self) -> list[Tenant]:
        rows = await self._pool.fetch(
            f"SELECT {COLUMNS} FROM control.tenants WHERE status = 'ACTIVE' ORDER BY slug"
        )
        return [tenant_from_row(r) for r in rows]

    async def all(self) -> list[Tenant]:
        """Every tenant, whatever its status, by slug."""
        rows = await self._pool.fetch(f"SELECT {COLUMNS} FROM control.tenants ORDER BY slug")
        return [tenant_from_row(r) for r in rows]

    async def schemas(self) -> list[str]:
        rows = await self._pool.fetch("SELECT schema_name FROM control.tenants ORDER BY slug")
        return [r["schema_name"] for r in rows]

    async def placed(self) -> list[tuple[str, str]]:
        """Every tenant's schema and the cluster it is placed on, by slug."""
        rows = await self._pool.fetch(
            "SELECT schema_name, placement FROM control.tenants ORDER BY slug"
        )
        return [(r["schema_name"], r["placement"]) for r in rows]

    def forget(self, tenant_id: UUID) -> None:
        self._changes += 1
        self._by_id.pop(tenant_id, None)
