"""`loyalty migrate`: idempotent, per-tenant transactions, one failure harms no other tenant."""

from __future__ import annotations

from uuid import UUID

from persistence import migrator
from persistence.migrator import latest_version, migrations
from tenants.migrate_all import migrate_all


async def _versions(services, schema: str) -> list[int]:
    rows = await services.pool.fetch(
        "SELECT version FROM control.schema_migrations WHERE schema_name = $1 ORDER BY 1", schema
    )
    return [r["version"] for r in rows]


async def test_a_new_tenant_starts_at_the_latest_version(services, tenant):
    schema = (await services.registry.get(UUID(tenant.id))).schema_name
    assert await _versions(services, schema) == [m.version for m in migrations("tenant")]
    assert (await _versions(services, schema))[-1] == latest_version("tenant")


async def test_migrating_twice_changes_nothing_the_second_time(services, make_tenant):
    kits = [await make_tenant() for _ in range(3)]
    schemas = [(await services.registry.get(UUID(k.id))).schema_name for k in kits]
    progressed: list[str] = []

    summary = await migrate_all(
        services.pool,
        migrator=migrator,
        concurrency=2,
        schemas=schemas,
        on_progress=progressed.append,
    )

    assert summary.ok and summary.upgraded == {}
    assert sorted(summary.current) == sorted(schemas)
    assert sorted(progressed) == sorted(schemas)


async def test_one_broken_tenant_is_reported_and_the_others_upgrade(services, make_tenant):
    healthy, broken = await make_tenant(), await make_tenant()
    healthy_schema = (await services.registry.get(UUID(healthy.id))).schema_name
    broken_schema = (await services.registry.get(UUID(broken.id))).schema_name
    # Both schemas 'forget' their first migration; the broken one also has a table in the
    # way, so re-applying fails there while the healthy one re-applies cleanly.
    async with services.pool.acquire() as conn:
        for schema in (healthy_schema, broken_schema):
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            await conn.execute(
                "DELETE FROM control.schema_migrations WHERE schema_name = $1", schema
            )
        await conn.execute(f'CREATE SCHEMA "{broken_schema}"')
        await conn.execute(f'CREATE TABLE "{broken_schema}".lots (squatter int)')

    summary = await migrate_all(
        services.pool, migrator=migrator, schemas=[healthy_schema, broken_schema]
    )

    assert not summary.ok
    assert list(summary.failed) == [broken_schema]
    assert "lots" in summary.failed[broken_schema]
    assert summary.upgraded == {healthy_schema: [m.version for m in migrations("tenant")]}
    # The failed schema was rolled back whole: nothing half-applied, nothing recorded.
    assert await _versions(services, broken_schema) == []
    tables = await services.pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1", broken_schema
    )
    assert [t["tablename"] for t in tables] == ["lots"]
    assert any("FAILED" in line and broken_schema in line for line in summary.lines())

    # (The broken tenant leaves the shared database: workers of later tests go over every
    # tenant, and would trip on its schema.)
    async with services.pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{broken_schema}" CASCADE')
        await conn.execute("DELETE FROM control.tenants WHERE id = $1", UUID(broken.id))
