"""The tenant registry in the control schema, with a short in-process cache of lookups."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

_COLUMNS = "id, slug, name, agency_id, schema_name, placement, jwt_secret, status, created_at"
# Tenants change rarely; a few seconds of staleness across replicas is the price of not
# reading the registry on every request.
CACHE_SECONDS = 10.0


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

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


def tenant_from_row(row: asyncpg.Record) -> Tenant:
    return Tenant(**dict(row))


class TenantRegistry:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._by_id: dict[UUID, tuple[float, Tenant]] = {}

    async def get(self, tenant_id: UUID) -> Tenant | None:
        hit = self._by_id.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM control.tenants WHERE id = $1", tenant_id
        )
        if row is None:
            return None
        tenant = tenant_from_row(row)
        self._by_id[tenant_id] = (time.monotonic() + CACHE_SECONDS, tenant)
        return tenant

    async def by_slug(self, slug: str) -> Tenant | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM control.tenants WHERE slug = $1", slug
        )
        return tenant_from_row(row) if row else None

    async def by_slug_or_id(self, ref: str) -> Tenant | None:
        try:
            return await self.get(UUID(ref))
        except ValueError:
            return await self.by_slug(ref.strip().lower())

    async def for_operator(self, operator_id: UUID) -> list[tuple[Tenant, str]]:
        rows = await self._pool.fetch(
            f"""SELECT {", ".join("t." + c for c in _COLUMNS.split(", "))}, m.role
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
            f"SELECT {_COLUMNS} FROM control.tenants WHERE status = 'ACTIVE' ORDER BY slug"
        )
        return [tenant_from_row(r) for r in rows]

    async def schemas(self) -> list[str]:
        rows = await self._pool.fetch("SELECT schema_name FROM control.tenants ORDER BY slug")
        return [r["schema_name"] for r in rows]

    def forget(self, tenant_id: UUID) -> None:
        self._by_id.pop(tenant_id, None)
