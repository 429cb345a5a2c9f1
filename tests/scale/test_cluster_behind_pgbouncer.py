"""Given a second PostgreSQL cluster ("east", a private server) that the platform reaches
through its own PgBouncer in transaction pooling mode, with a direct session URL for that
cluster's listening connection (LOYALTY_CLUSTER_LISTEN_URLS), when a tenant placed there is
served reads and writes and a worker round through the pooler, and a member's externalId is
changed through one process, then the rows are on east, the worker's round matures points
there, no advisory lock is left on a pooled server connection, and a second process that
remembers the old externalId for a minute forgets it within seconds: the announcement, sent
on east, is heard on the session connection (through PgBouncer, LISTEN would hear nothing,
and the second process would answer for the old externalId for the whole minute)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg
import pytest

from api.services import Services
from api.worker import run_once
from domain.clock import FixedClock
from tests.conftest import CLOCK_START, TEST_SECRET
from tests.support.app_on_test_database import app_on_test_database
from tests.support.earning import configure, earn, enroll, order, points_of
from tests.support.gql import GraphQLClient
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.own_pgbouncer import OwnPgBouncer
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import renamed_member_forgotten_elsewhere
from tests.support.provision import provision_tenant

pytestmark = pytest.mark.scale

EAST = "east"
# The documented time for an announcement to reach another process: its trip from the
# database to the event loop, far below the minute the second process would trust otherwise.
HEARD_WITHIN = 3.0


@dataclass
class PooledEast:
    services: Services
    gql: GraphQLClient
    east: OwnPostgres
    clock: FixedClock


@pytest.fixture
async def pooled_east() -> AsyncIterator[PooledEast]:
    east = OwnPostgres()
    east.start()
    bouncer = OwnPgBouncer(east.url, pool_size=4)
    clock = FixedClock(CLOCK_START)
    try:
        bouncer.start()
        async with app_on_test_database(
            clock,
            direct_listener=True,
            db_pool_max=6,
            database_pooler="pgbouncer-transaction",
            clusters=f"{EAST}={bouncer.url('postgres')}",
            cluster_listen_urls=f"{EAST}={east.url}",
        ) as (services, gql):
            yield PooledEast(services, gql, east, clock)
    finally:
        bouncer.stop()
        east.close()


async def test_a_cluster_behind_its_own_pgbouncer_is_served_and_heard(pooled_east: PooledEast):
    services, gql = pooled_east.services, pooled_east.gql
    # Given a tenant placed on the cluster behind PgBouncer
    kit = await provision_tenant(services, TEST_SECRET, placement=services.clusters.placement(EAST))
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None and tenant.placement == EAST

    # When it is configured, a member enrolled and an order recorded, all through the pooler
    await configure(gql, kit, pendingDays=14)
    member = await enroll(gql, kit, externalId="before")
    assert await earn(gql, kit, order("o-pooled", member, ("a", 1, 4_000))) == 40

    # Then the reads answer what was written, and the rows are on east itself
    points = await points_of(gql, kit, member)
    assert (points["available"], points["pending"], points["lifetime"]) == (0, 40, 40)
    direct = await asyncpg.connect(pooled_east.east.url)
    try:
        rows = await direct.fetch(f'SELECT external_id FROM "{tenant.schema_name}".members')
        assert [r["external_id"] for r in rows] == ["before"]

        # When a worker round runs 14 days on, through the pooler
        pooled_east.clock.advance(timedelta(days=14))
        report = await run_once(services)

        # Then the points matured, and no lock is left on a pooled server connection of east
        assert report.settled >= 1
        points = await points_of(gql, kit, member)
        assert (points["available"], points["pending"]) == (40, 0)
        await assert_ledger_matches_balances(services, kit)
        left = await direct.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert left == 0
    finally:
        await direct.close()

    # And the process is ready, east's listening connection up
    ready = (await gql.http.get("/readyz")).json()
    assert (ready["status"], ready["clusters"]) == ("ready", "ok"), ready

    # When the member's externalId changes through this process, then a second process that
    # remembers externalIds for a minute answers for the old one no more, within seconds:
    # only the announcement, sent on east and heard on the session connection, can do that
    assert await renamed_member_forgotten_elsewhere(services, gql, kit, member, HEARD_WITHIN)
