"""Given the platform on a private three-node Redis Cluster (LOYALTY_REDIS_URL=redis+cluster://…),
the balance cache, the names shared with it, the request budgets and the login throttle
work there as on one Redis, every key a script touches in one slot; when a node fails,
requests are served from PostgreSQL through the breakers until the node is back, and the
cache is then used again; and API keys revoked meanwhile are refused by every process, the
announcement of it going through PostgreSQL, not Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from limits import RateLimitItemPerMinute
from redis.asyncio.cluster import RedisCluster

from api.auth.login_throttle import LoginThrottle
from api.http.app import create_app
from api.schema.common.ids import uuid_of
from api.services import Services
from domain.errors import RateLimited
from domain.ledger import Balance
from persistence.balance_cache import RedisBalanceStore, balance_key, redis_client
from persistence.rate_windows import SlidingWindows, tenant_scope
from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient
from tests.support.own_redis_cluster import OwnRedisCluster

POINTS = "query($id: ID!) { member(id: $id) { points { available lifetime } } }"
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id } errors { code } }
}
"""
REVOKE_KEY = """
mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { errors { code } } }
"""
# How long a revocation may take to reach another process through PostgreSQL.
ANNOUNCED_WITHIN = 3.0
ENROLL = "mutation($x: String!) { enrollMember(input: {externalId: $x}) { member { id } } }"
# A wait, never an assertion: the breakers skip Redis for a short while after a failure.
CACHED_AGAIN_WITHIN = 15.0


@pytest.fixture
async def cluster() -> AsyncIterator[OwnRedisCluster]:
    own = OwnRedisCluster()
    await asyncio.to_thread(own.start)
    yield own
    await asyncio.to_thread(own.stop)


@pytest.fixture
async def client(cluster: OwnRedisCluster) -> AsyncIterator[RedisCluster]:
    made = redis_client(cluster.url, timeout=2)
    assert isinstance(made, RedisCluster)
    yield made
    await made.aclose()


@contextlib.asynccontextmanager
async def _app(settings, cluster, **more: object) -> AsyncIterator[tuple[GraphQLClient, Services]]:
    """The app with the cluster as its Redis."""
    own = settings.model_copy(
        update={
            "redis_url": cluster.url,
            "redis_breaker_seconds": 0.2,
            "redis_timeout": 0.2,
            "db_pool_max": 4,
            **more,
        }
    )
    running = await Services.start(own)
    transport = httpx.ASGITransport(app=create_app(services=running))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http), running
    finally:
        await running.close()


@pytest.fixture
async def on_cluster(settings, cluster) -> AsyncIterator[tuple[GraphQLClient, Services]]:
    async with _app(settings, cluster) as app:
        yield app


@pytest.fixture
async def replica(settings, cluster) -> AsyncIterator[tuple[GraphQLClient, Services]]:
    """A second process of the app on the same cluster and database, remembering API keys
    far longer than a test lasts: only an announcement makes it forget one."""
    async with _app(settings, cluster, api_key_cache_seconds=600) as app:
        yield app


async def test_balances_are_cached_and_compared_and_set_across_the_shards(client):
    # given a balance store on the cluster and a tenant whose keys land on each node
    store = RedisBalanceStore(client)
    member = uuid.uuid4()
    tenants = _one_tenant_per_node(client, member)

    # when each tenant's balance is written, then an older version of it
    for tenant in tenants:
        cache = store.for_tenant(tenant)
        await cache.put(Balance(member, "points", 50, 0, 50, 5))
        await cache.put(Balance(member, "points", 10, 0, 10, 4))  # a slow reader's old news
        await cache.put_many([Balance(member, "points", 9, 0, 9, 3)])

    # then each tenant reads the newer balance, one at a time and many at a time
    for tenant in tenants:
        cache = store.for_tenant(tenant)
        assert await cache.get(member, "points") == Balance(member, "points", 50, 0, 50, 5)
        assert await cache.get_many([member, uuid.uuid4()], "points") == {
            member: Balance(member, "points", 50, 0, 50, 5)
        }
    # and nothing was refused on the way
    assert not store.breaker.open


async def test_shared_names_are_read_with_their_balance_across_the_shards(client):
    # given, for a tenant whose keys land on each node, a member's name shared and its
    # balance cached there
    store = RedisBalanceStore(client)
    member = uuid.uuid4()
    caches = [store.for_tenant(t) for t in _one_tenant_per_node(client, member)]
    balance = Balance(member, "points", 7, 0, 7, 1)
    for cache in caches:
        await cache.share_name("ext-1", member)
        await cache.put(balance)

    # when each tenant reads the name, then marks the member moved and reads it again
    found = [await cache.named("ext-1", "points") for cache in caches]
    for cache in caches:
        await cache.name_moved(member)
    after = [await cache.named("ext-1", "points") for cache in caches]

    # then one script read the name, the mark and the balance in the name's slot
    assert found == [(member, balance)] * len(caches)
    assert after == [None] * len(caches)
    assert not store.breaker.open


def _one_tenant_per_node(client: RedisCluster, member: UUID) -> list[UUID]:
    by_node: dict[str, UUID] = {}
    while len(by_node) < len(client.get_primaries()):
        tenant = uuid.uuid4()
        node = client.get_node_from_key(balance_key(tenant, member, "points")).name
        by_node.setdefault(node, tenant)
    return list(by_node.values())


async def test_a_tenants_budgets_are_spent_together_in_one_slot(client):
    # given a caller's budget with room and its tenant's, spent, on the cluster
    windows = SlidingWindows(client)
    scope = tenant_scope(uuid.uuid4())
    own, shared = RateLimitItemPerMinute(10), RateLimitItemPerMinute(1)
    await windows.spend([(shared, (scope, "tenant"))], 1)

    # when a request spends both in one script
    spent = await windows.spend([(own, (scope, "key", "k1")), (shared, (scope, "tenant"))])

    # then the caller's is spent and the tenant's refused, as on one Redis
    assert spent.admitted == (True, False)
    assert spent.remaining == 9
    # and limits' own API reads the same counters through the cluster
    seen = await windows.limiter.get_window_stats(own, scope, "key", "k1")
    assert seen.remaining == 9
    # and every key of the two budgets hashes to one slot
    keys = [*windows._keys(own, (scope, "key", "k1")), *windows._keys(shared, (scope, "tenant"))]
    assert len({client.keyslot(key) for key in keys}) == 1


async def test_failed_logins_lock_an_account_on_the_cluster(client):
    # given a login throttle on the cluster that allows one failure per account
    throttle = LoginThrottle(client, lambda: b"test-key", account_free=1, pair_free=1)
    email = f"{uuid.uuid4().hex}@example.com"

    # when two logins to one account fail
    for _ in range(2):
        attempt = throttle.attempt(email, "192.0.2.1")
        await attempt.check()
        await attempt.failed()

    # then the next attempt is refused for a while
    with pytest.raises(RateLimited):
        await throttle.attempt(email, "192.0.2.1").check()
    assert not throttle.breaker.open


async def test_the_app_caches_balances_and_limits_requests_on_the_cluster(
    on_cluster, client, tenant
):
    gql, running = on_cluster
    # given a member enrolled and credited through the app on the cluster
    member_id = (await gql(ENROLL, {"x": uuid.uuid4().hex}, token=tenant.secret_key))[
        "enrollMember"
    ]["member"]["id"]
    await gql(ADJUST, {"input": {"memberId": member_id, "points": 30}}, token=tenant.secret_key)

    # when the balance is read twice
    first = await gql.raw(POINTS, {"id": member_id}, token=tenant.secret_key)
    second = await gql.raw(POINTS, {"id": member_id}, token=tenant.secret_key)

    # then it is right, and held by the cluster
    assert second.json()["data"]["member"]["points"] == {"available": 30, "lifetime": 30}
    assert await _cached(client, tenant.id, [member_id]) == {member_id: (30, 30)}
    # and the request budget is spent on the cluster, one unit per request
    left = [int(r.headers["ratelimit-remaining"]) for r in (first, second)]
    assert left[0] - left[1] == 1
    assert not running.balances.breaker.open


async def test_a_failed_node_is_served_around_from_postgres_and_recovered_from(
    on_cluster, cluster, client, tenant
):
    gql, _ = on_cluster
    # given members with cached balances (a tenant's keys share one slot, so one node)
    members = [
        (await gql(ENROLL, {"x": uuid.uuid4().hex}, token=tenant.secret_key))["enrollMember"][
            "member"
        ]["id"]
        for _ in range(3)
    ]
    for member_id in members:
        await gql(POINTS, {"id": member_id}, token=tenant.secret_key)
    assert await _cached(client, tenant.id, members) == dict.fromkeys(members, (0, 0))

    # when the node holding the tenant's slot is killed and the others call it failed
    key = balance_key(UUID(tenant.id), uuid_of(members[0], "Member"), "points")
    port = client.get_node_from_key(key).port
    await asyncio.to_thread(cluster.kill_node, port)
    await asyncio.to_thread(cluster.wait_until_failed)

    # then points are still written and read, right, from PostgreSQL
    for member_id in members:
        data = await gql(
            ADJUST, {"input": {"memberId": member_id, "points": 7}}, token=tenant.secret_key
        )
        assert data["adjustPoints"]["errors"] == []
        read = await gql(POINTS, {"id": member_id}, token=tenant.secret_key)
        assert read["member"]["points"] == {"available": 7, "lifetime": 7}
    # and the process says Redis is down, and still serves
    ready = await gql.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["redis"] == "down" and ready.json()["status"] == "degraded"

    # when the node is started again and the cluster is whole
    await asyncio.to_thread(cluster.start_node, port)
    await asyncio.to_thread(cluster.wait_until_ok)

    # then the same process uses the cache again by itself, and it holds the right balances
    assert await _cached_again(gql, client, tenant, members) == dict.fromkeys(members, (7, 7))
    ready = await gql.http.get("/readyz")
    assert ready.json()["redis"] == "ok"


async def _cached(
    client: RedisCluster, tenant_id: str, members: list[str]
) -> dict[str, tuple[int, int] | None]:
    """Each member's (available, lifetime) points as the cluster holds them."""
    found: dict[str, tuple[int, int] | None] = {}
    for member_id in members:
        key = balance_key(UUID(tenant_id), uuid_of(member_id, "Member"), "points")
        raw = await client.hgetall(key)
        found[member_id] = (int(raw[b"a"]), int(raw[b"l"])) if raw else None
    return found


async def _cached_again(
    gql: GraphQLClient, client: RedisCluster, tenant, members: list[str]
) -> dict[str, tuple[int, int] | None]:
    """Reads every balance through the app until each is cached (boundedly), and returns
    what the cluster holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CACHED_AGAIN_WITHIN
    while True:
        for member_id in members:
            await gql(POINTS, {"id": member_id}, token=tenant.secret_key)
        try:
            cached = await _cached(client, tenant.id, members)
        except Exception:  # the test's own client may still be finding the node again
            cached = dict.fromkeys(members)
        if None not in cached.values() or loop.time() > deadline:
            return cached
        await asyncio.sleep(0.2)


async def test_a_revoked_key_is_refused_by_every_replica_while_a_node_is_down(
    on_cluster, replica, cluster, client, tenant
):
    gql, _ = on_cluster
    other, _ = replica
    # given a key both processes on the cluster have accepted, and so remember
    created = (
        await gql(
            CREATE_KEY,
            {"input": {"kind": "SECRET", "name": "cluster"}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["createApiKey"]
    key = created["key"]
    member_id = (await gql(ENROLL, {"x": uuid.uuid4().hex}, token=key))["enrollMember"]["member"][
        "id"
    ]
    await other(POINTS, {"id": member_id}, token=key)

    # when a node of the cluster fails, and the key is revoked through the first process
    await asyncio.to_thread(cluster.kill_node, cluster.ports[0])
    revoked = await gql(
        REVOKE_KEY,
        {"input": {"id": created["apiKey"]["id"]}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert revoked["revokeApiKey"]["errors"] == []

    # then both refuse it: the revocation is announced through PostgreSQL, not Redis
    assert (await gql.raw(POINTS, {"id": member_id}, token=key)).status_code == 401
    assert await _refused_within(other, member_id, key, ANNOUNCED_WITHIN)
    # and the tenant's other key is still served, from PostgreSQL
    read = await other(POINTS, {"id": member_id}, token=tenant.secret_key)
    assert read["member"]["points"] == {"available": 0, "lifetime": 0}


async def _refused_within(gql: GraphQLClient, member_id: str, key: str, wait: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (await gql.raw(POINTS, {"id": member_id}, token=key)).status_code != 401:
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
