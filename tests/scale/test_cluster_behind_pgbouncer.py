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

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from api.worker import run_once
from domain.clock import FixedClock
from tests.conftest import CLOCK_START, TEST_SECRET
from tests.support.earning import configure, earn, enroll, order, points_of
from tests.support.gql import GraphQLClient
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.own_pgbouncer import OwnPgBouncer
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import second_process
from tests.support.provision import provision_tenant
from tests.support.servers import (
    create_test_database,
    drop_test_database,
    postgres_admin_url,
    redis_url,
)
from tests.support.throttling import new_address

pytestmark = pytest.mark.scale

EAST = "east"
MEMBER_POINTS = "query M($id: String!) { member(externalId: $id) { id points { available } } }"
UPDATE = """
mutation Update($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id externalId } errors { code field message } }
}
"""
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
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    try:
        bouncer.start()
        settings = Settings(
            environment="production",
            database_url=url,
            listen_database_url=url,
            redis_url=redis_url(),
            secret_key=TEST_SECRET,
            db_pool_max=6,
            rate_limit_per_minute=100_000,
            database_pooler="pgbouncer-transaction",
            clusters=f"{EAST}={bouncer.url('postgres')}",
            cluster_listen_urls=f"{EAST}={east.url}",
        )
        clock = FixedClock(CLOCK_START)
        services = await Services.start(settings, clock=clock)
        try:
            transport = httpx.ASGITransport(
                app=create_app(services=services), client=(new_address(), 123)
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield PooledEast(services, GraphQLClient(http), east, clock)
        finally:
            await services.close()
    finally:
        bouncer.stop()
        await drop_test_database(admin, name)
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

    # Given a second process that remembers externalIds for a minute, and trusts them as long
    # while it does not hear: only the announcement, sent on east, can make it forget
    async with second_process(
        services.settings, external_id_cache_seconds=60, unheard_cache_seconds=60
    ) as other:
        seen = await other(MEMBER_POINTS, {"id": "before"}, token=kit.secret_key)
        assert seen["member"]["id"] == member

        # When the member's externalId changes through the first process
        changed = await gql(
            UPDATE, {"input": {"id": member, "externalId": "after"}}, token=kit.secret_key
        )
        assert changed["updateMember"]["errors"] == []

        # Then the second process answers for the old externalId no more, within seconds
        assert await _forgotten_within(other, kit.secret_key, "before", HEARD_WITHIN)
        found = await other(MEMBER_POINTS, {"id": "after"}, token=kit.secret_key)
        assert found["member"]["id"] == member


async def _forgotten_within(
    client: GraphQLClient, key: str, external_id: str, seconds: float
) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        answer = await client(MEMBER_POINTS, {"id": external_id}, token=key)
        if answer["member"] is None:
            return True
        await asyncio.sleep(0.05)
    return False
