"""The ledger invariant, read straight from the tenant schema."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from api.services import Services
from tests.support.gql import TenantKit


async def assert_ledger_matches_balances(services: Services, kit: TenantKit) -> None:
    """Every balance row equals the column-wise sum of its entries, and its open lots:
    available lots hold `available`, pending lots hold `pending`."""
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    await assert_schema_ledger_consistent(services.clusters.of(tenant), tenant.schema_name)


async def assert_schema_ledger_consistent(pool: asyncpg.Pool, schema: str) -> None:
    """The same check, for a tenant schema named directly."""
    async with pool.acquire() as conn:
        mismatches = await conn.fetch(
            f"""
            SELECT b.member_id, b.wallet, b.available, b.pending, b.lifetime, b.debt,
                   coalesce(e.available, 0) AS e_available, coalesce(e.pending, 0) AS e_pending,
                   coalesce(e.lifetime, 0) AS e_lifetime, coalesce(e.debt, 0) AS e_debt,
                   coalesce(l.available, 0) AS lots_available,
                   coalesce(l.pending, 0) AS lots_pending
            FROM "{schema}".balances b
            LEFT JOIN (SELECT member_id, wallet, sum(available_delta) AS available,
                              sum(pending_delta) AS pending, sum(lifetime_delta) AS lifetime,
                              sum(debt_delta) AS debt
                       FROM "{schema}".ledger_entries GROUP BY 1, 2) e USING (member_id, wallet)
            LEFT JOIN (SELECT member_id, wallet,
                              sum(remaining) FILTER (WHERE NOT pending) AS available,
                              sum(remaining) FILTER (WHERE pending) AS pending
                       FROM "{schema}".lots GROUP BY 1, 2) l USING (member_id, wallet)
            WHERE b.available <> coalesce(e.available, 0) OR b.pending <> coalesce(e.pending, 0)
               OR b.lifetime <> coalesce(e.lifetime, 0) OR b.debt <> coalesce(e.debt, 0)
               OR b.available <> coalesce(l.available, 0) OR b.pending <> coalesce(l.pending, 0)
            """
        )
    assert [dict(r) for r in mismatches] == []
