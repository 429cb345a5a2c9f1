"""Given tenants placed on two PostgreSQL clusters — the default one, which also holds the
control schema, and a private server started for the test ("east") — when they are
provisioned, served GraphQL requests, worked by the worker, migrated, exported, imported and
deleted, then each tenant's schema and its record of migrations exist on its own cluster
only, every request reaches the tenant's cluster, and neither a key nor an operator of one
agency reaches a tenant of another, whichever cluster either is on; a tenant moved to
another cluster leaves `moveTenant` in its agency's audit log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from api.schema.common.ids import to_global_id
from api.services import Services
from api.worker import run_once
from domain.audit import command_line
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.tenant_lifecycle import LifecycleAction
from persistence import migrator
from persistence.migrator import TenantsUntil, latest_version, version_before_latest
from persistence.tenant_archive.importer import import_tenant
from persistence.tenant_archive.writer import export_tenant
from persistence.tenant_move import move_tenant
from tenants import lifecycle
from tenants.clusters import DEFAULT_CLUSTER
from tenants.migrate_all import migrate_all
from tenants.provisioning import create_tenant
from tenants.registry import Tenant
from tests.conftest import CLOCK_START, ENROLL, TEST_SECRET
from tests.support.agency_ops import document
from tests.support.app_on_test_database import app_on_test_database
from tests.support.earning import configure, earn, enroll, lots_of, order, points_of
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import renamed_member_forgotten_elsewhere
from tests.support.provision import add_key, provision_tenant

pytestmark = pytest.mark.scale

EAST = "east"
MEMBER = "query Member($id: String!) { member(externalId: $id) { __typename id externalId } }"
AGENCY = """
query AgencyTenants($from: DateTime!, $to: DateTime!) {
  agency { tenants { __typename slug analytics(from: $from, to: $to) { members { total } } } }
}
"""
PERIOD = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}


class TwoClusters:
    def __init__(self, services: Services, gql: GraphQLClient, clock: FixedClock) -> None:
        self.services, self.gql, self.clock = services, gql, clock

    async def on(self, cluster: str, sql: str, *args: object) -> list[asyncpg.Record]:
        async with self.services.clusters.pool(cluster).acquire() as conn:
            return list(await conn.fetch(sql, *args))

    async def where(self, schema: str) -> dict[str, tuple[bool, list[int]]]:
        """On each cluster: whether `schema` exists there, and the versions recorded there."""
        found = {}
        for cluster in (DEFAULT_CLUSTER, EAST):
            exists = await self.on(cluster, "SELECT 1 FROM pg_namespace WHERE nspname = $1", schema)
            versions = await self.on(
                cluster,
                "SELECT version FROM control.schema_migrations WHERE schema_name = $1"
                " ORDER BY version",
                schema,
            )
            found[cluster] = (bool(exists), [r["version"] for r in versions])
        return found

    async def schema(self, kit: TenantKit) -> str:
        tenant = await self.services.registry.get(UUID(kit.id))
        assert tenant is not None
        return tenant.schema_name


@pytest.fixture(scope="module")
async def clusters() -> AsyncIterator[TwoClusters]:
    east = OwnPostgres()
    east.start()
    clock = FixedClock(CLOCK_START)
    try:
        async with app_on_test_database(clock, db_pool_max=8, clusters=f"{EAST}={east.url}") as (
            services,
            gql,
        ):
            yield TwoClusters(services, gql, clock)
    finally:
        east.close()


async def _kit(both: TwoClusters, cluster: str | None) -> TenantKit:
    placement = await both.services.clusters.for_new_tenant(cluster)
    return await provision_tenant(both.services, TEST_SECRET, placement=placement)


async def test_each_tenant_lives_and_is_served_on_its_own_cluster(clusters: TwoClusters):
    both, gql = clusters, clusters.gql
    services = both.services
    # Given a tenant on each cluster, and a third placed where the fewest tenants are
    home, away = await _kit(both, DEFAULT_CLUSTER), await _kit(both, EAST)
    counts = await services.clusters.tenant_counts()
    fewest = min(services.clusters.names, key=lambda n: (counts.get(n, 0), n != DEFAULT_CLUSTER))
    third = await _kit(both, None)
    third_tenant = await services.registry.get(UUID(third.id))
    assert third_tenant is not None and third_tenant.placement == fewest

    # Then each schema, and its record of migrations, exists on its own cluster only
    latest = [m.version for m in migrator.migrations("tenant")]
    assert await both.where(await both.schema(home)) == {
        DEFAULT_CLUSTER: (True, latest),
        EAST: (False, []),
    }
    assert await both.where(await both.schema(away)) == {
        DEFAULT_CLUSTER: (False, []),
        EAST: (True, latest),
    }

    # When each is sent the same requests: members enrolled, orders earning points
    for kit in (home, away):
        await configure(gql, kit, pendingDays=14)
        member = await enroll(gql, kit, externalId=f"shopper-{kit.slug}")
        assert await earn(gql, kit, order(f"o-{kit.slug}", member, ("a", 1, 4_000))) == 40

    # Then each tenant's rows are in its own schema on its own cluster
    for kit, cluster in ((home, DEFAULT_CLUSTER), (away, EAST)):
        schema = await both.schema(kit)
        rows = await both.on(cluster, f'SELECT external_id FROM "{schema}".members')
        assert [r["external_id"] for r in rows] == [f"shopper-{kit.slug}"]
        assert await lots_of(services, kit) == [(40, 40, True)]

    # And a key of one tenant finds nothing of the other's, across clusters
    for kit, other in ((home, away), (away, home)):
        data = await gql(MEMBER, {"id": f"shopper-{other.slug}"}, token=kit.secret_key)
        assert data["member"] is None
        mine = await gql(MEMBER, {"id": f"shopper-{kit.slug}"}, token=kit.secret_key)
        assert mine["member"]["externalId"] == f"shopper-{kit.slug}"

    # And an operator of one agency is refused the other's tenant, either way round
    for kit, other in ((home, away), (away, home)):
        errors = await gql.errors(MEMBER, {"id": "x"}, token=kit.operator_token, tenant=other.slug)
        assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}

    # When the worker's round runs 14 days on, over every tenant of both clusters
    both.clock.advance(timedelta(days=14))
    report = await run_once(services)

    # Then the pending points matured on both clusters
    assert report.settled >= 2
    for kit in (home, away):
        member_id = (await gql(MEMBER, {"id": f"shopper-{kit.slug}"}, token=kit.secret_key))[
            "member"
        ]["id"]
        points = await points_of(gql, kit, member_id)
        assert (points["available"], points["pending"]) == (40, 0)
        await assert_ledger_matches_balances(services, kit)


async def test_an_agency_sees_its_tenants_on_every_cluster(clusters: TwoClusters):
    both, gql, services = clusters, clusters.gql, clusters.services
    # Given an agency with one tenant on each cluster, two members on the eastern one
    home = await _kit(both, DEFAULT_CLUSTER)
    tenant = await services.registry.get(UUID(home.id))
    assert tenant is not None and tenant.agency_id is not None
    operator = await services.control.operator_by_email(home.operator_email)
    assert operator is not None
    slug = "e" + uuid.uuid4().hex[:12]
    east = services.clusters.placement(EAST)
    away = await create_tenant(
        services.pool,
        migrator=migrator,
        slug=slug,
        name="Eastern shop",
        agency_id=tenant.agency_id,
        owner_id=operator.id,
        placement=east,
    )
    key = await add_key(services, away.id, "SECRET", TEST_SECRET)
    for name in ("a", "b"):
        await gql(ENROLL, {"input": {"externalId": name}}, token=key)

    # When its operator reads the agency's tenants and their analytics
    data = await gql(AGENCY, PERIOD, token=home.operator_token)

    # Then both tenants answer, each from its own cluster
    totals = {t["slug"]: t["analytics"]["members"]["total"] for t in data["agency"]["tenants"]}
    assert totals == {home.slug: "0", slug: "2"}  # BigInt, as a string


async def test_migrate_brings_every_tenant_on_every_cluster_to_the_latest_version(
    clusters: TwoClusters,
):
    both, services = clusters, clusters.services
    # Given a tenant one migration behind on each cluster
    behind = TenantsUntil(version_before_latest("tenant"))
    schemas = {}
    for cluster in (DEFAULT_CLUSTER, EAST):
        made = await create_tenant(
            services.pool,
            migrator=behind,
            slug="m" + uuid.uuid4().hex[:12],
            name="Behind",
            placement=services.clusters.placement(cluster),
        )
        schemas[cluster] = made.schema_name
        assert (await both.where(made.schema_name))[cluster][1][-1] == behind.version

    # When `loyalty migrate` runs over every tenant, then again
    first = await migrate_all(services.pool, migrator=migrator, clusters=services.clusters)
    again = await migrate_all(services.pool, migrator=migrator, clusters=services.clusters)

    # Then each was upgraded on its own cluster, once, and nothing was left to do after
    assert first.ok and again.ok, (first.lines(), again.lines())
    newest = latest_version("tenant")
    for cluster, schema in schemas.items():
        assert first.upgraded[schema] == [newest]
        assert schema in again.current
        where = await both.where(schema)
        assert where[cluster] == (True, [m.version for m in migrator.migrations("tenant")])
        other = EAST if cluster == DEFAULT_CLUSTER else DEFAULT_CLUSTER
        assert where[other] == (False, [])
    assert not again.upgraded


async def test_a_tenant_is_exported_imported_and_deleted_on_its_cluster(
    clusters: TwoClusters, tmp_path: Path
):
    both, gql, services = clusters, clusters.gql, clusters.services
    # Given a tenant on the eastern cluster with a member
    kit = await _kit(both, EAST)
    await gql(ENROLL, {"input": {"externalId": "kept"}}, token=kit.secret_key)
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None

    # When it is exported and imported as a new tenant on the default cluster
    archive = tmp_path / "east.zip"
    with archive.open("wb") as out:
        async for chunk in export_tenant(services.clusters.of(tenant), tenant):
            out.write(chunk)
    copy = await import_tenant(
        services.pool,
        archive,
        slug="c" + uuid.uuid4().hex[:12],
        placement=services.clusters.placement(DEFAULT_CLUSTER),
    )

    # Then the copy's rows are on the default cluster, and its schema there only
    rows = await both.on(DEFAULT_CLUSTER, f'SELECT external_id FROM "{copy.schema_name}".members')
    assert [r["external_id"] for r in rows] == ["kept"]
    assert (await both.where(copy.schema_name))[EAST] == (False, [])

    # When the original is archived and deleted
    async def record(conn: object, changed: object) -> None:
        return None

    await lifecycle.change_status(
        services.pool, tenant.id, LifecycleAction.ARCHIVE, None, services.clock.now(), record
    )
    await lifecycle.delete_tenant(
        services.pool, tenant.id, timedelta(0), services.clock.now(), record, services.clusters
    )

    # Then its schema and its record of migrations are gone from the eastern cluster
    assert await both.where(tenant.schema_name) == {
        DEFAULT_CLUSTER: (False, []),
        EAST: (False, []),
    }
    assert await services.registry.by_slug(kit.slug) is None


async def test_a_process_refuses_to_start_without_the_address_of_a_tenants_cluster(
    clusters: TwoClusters,
):
    # Given a tenant placed on the eastern cluster
    await _kit(clusters, EAST)
    # When a process starts with the same database and no address for that cluster
    settings = clusters.services.settings.model_copy(update={"clusters": None})
    # Then it refuses, naming the cluster
    with pytest.raises(RuntimeError, match="east"):
        await Services.start(settings)


async def test_readiness_names_a_cluster_whose_announcements_are_not_heard(
    clusters: TwoClusters,
):
    http = clusters.gql.http
    # Given a process listening on both clusters: ready
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()["status"], ready.json()["clusters"]) == (
        200,
        "ready",
        "ok",
    )
    # When the eastern cluster's listening connection is gone
    listener = clusters.services.cluster_listeners[EAST]
    await listener.stop()
    try:
        # Then the process still serves (the default cluster's tenants are unaffected), and
        # says which cluster it does not hear; its caches trust only briefly meanwhile
        degraded = await http.get("/readyz")
        assert degraded.status_code == 200
        assert (degraded.json()["status"], degraded.json()["clusters"]) == (
            "degraded",
            "down: east",
        )
        assert clusters.services.registry._trust(10.0) < 10.0
    finally:
        await listener.start()
    assert (await http.get("/readyz")).json()["clusters"] == "ok"


async def test_a_tenant_moves_to_another_cluster_keeping_its_keys_and_data(
    clusters: TwoClusters,
):
    both, gql, services = clusters, clusters.gql, clusters.services
    # Given an active tenant on the default cluster, with a member holding 40 points
    kit = await _kit(both, DEFAULT_CLUSTER)
    member = await enroll(gql, kit, externalId="traveller")
    assert await earn(gql, kit, order("o-move", member, ("a", 1, 4_000))) == 40
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None

    # When it is moved to the eastern cluster
    moved = await _move(services, tenant, EAST, settle_seconds=0)

    # Then it is placed there, active again, its schema on the eastern cluster only
    assert (moved.id, moved.placement, moved.status) == (tenant.id, EAST, "ACTIVE")
    latest = [m.version for m in migrator.migrations("tenant")]
    assert await both.where(tenant.schema_name) == {
        DEFAULT_CLUSTER: (False, []),
        EAST: (True, latest),
    }

    # And the same key reads the same member and points, now from the eastern cluster
    found = await _eventually_found(gql, kit, "traveller")
    assert found["id"] == member
    assert (await points_of(gql, kit, member))["lifetime"] == 40
    await assert_ledger_matches_balances(services, kit)

    # And the agency's audit log holds the move, by the command line, naming both clusters,
    # as its operators read it through GraphQL
    log = await gql(
        document("AgencyAuditLog"),
        {"first": 10, "filter": {"action": "moveTenant"}},
        token=kit.operator_token,
    )
    entries = [edge["node"] for edge in log["agency"]["auditLog"]["edges"]]
    assert [(e["action"], e["target"], e["summary"]) for e in entries] == [
        ("moveTenant", kit.slug, {"tenant": kit.slug, "from": DEFAULT_CLUSTER, "to": EAST})
    ]
    assert entries[0]["actor"] == {
        "__typename": "AuditActor",
        "kind": "CLI",
        "id": None,
        "label": "cli:tenant move",
    }
    assert entries[0]["tenantId"] == to_global_id("Tenant", tenant.id)

    # And moving it to where it already is is refused, leaving it active and the log as it was
    with pytest.raises(DomainError):
        await _move(services, moved, EAST)
    assert (await services.registry.by_slug(kit.slug)).status == "ACTIVE"  # type: ignore[union-attr]
    assert await _moves_logged(services, tenant.id) == 1


async def _move(services: Services, tenant: Tenant, target: str, **timing: float) -> Tenant:
    """`loyalty tenant move`, as the command line calls it."""
    return await move_tenant(
        services.clusters,
        tenant,
        target,
        now=services.clock.now,
        record=_unrecorded,
        by=command_line("tenant move"),
        **timing,
    )


async def _unrecorded(conn: object, changed: object) -> None:
    return None


async def _moves_logged(services: Services, tenant_id: UUID) -> int:
    count: int = await services.pool.fetchval(
        "SELECT count(*) FROM control.audit_log WHERE tenant_id = $1 AND action = 'moveTenant'",
        tenant_id,
    )
    return count


async def _eventually_found(gql: GraphQLClient, kit: TenantKit, external_id: str) -> dict:
    """The member, once this process has heard that the tenant is active again."""
    for _ in range(50):
        response = await gql.raw(MEMBER, {"id": external_id}, token=kit.secret_key)
        body = response.json()
        if not body.get("errors"):
            found: dict = body["data"]["member"]
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the tenant was not served again: {body}")


async def test_a_change_announced_on_another_cluster_reaches_every_process(
    clusters: TwoClusters,
):
    both, gql, services = clusters, clusters.gql, clusters.services
    # Given a tenant on the eastern cluster and a member, remembered by a second process for a
    # minute: only the announcement, sent on the eastern cluster, can make it forget
    kit = await _kit(both, EAST)
    member = await enroll(gql, kit, externalId="before")

    # When the member's externalId changes through the first process, then the second
    # process answers for the old externalId no more, within seconds
    assert await renamed_member_forgotten_elsewhere(services, gql, kit, member, 3.0)


async def test_the_database_holds_a_cluster_name_never_an_address(clusters: TwoClusters):
    # Given a tenant
    kit = await _kit(clusters, EAST)
    # When its placement is set to an address, then the database refuses it (migration 0012)
    with pytest.raises(asyncpg.CheckViolationError):
        await clusters.services.pool.execute(
            "UPDATE control.tenants SET placement = $2 WHERE id = $1",
            UUID(kit.id),
            "postgresql://user:secret@pg-east/loyalty",
        )
