"""The scripted sliding windows are limits' own counters: its API reads and spends them."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis
from limits import RateLimitItemPerMinute

from persistence.balance_cache import redis_client
from persistence.rate_windows import SlidingWindows


async def test_spending_in_one_round_trip_agrees_with_the_limits_api(own_redis):
    # given a fresh Redis (its scripts not yet loaded) and a budget of five units a minute
    client = redis_client(own_redis.url, timeout=2)
    windows = SlidingWindows(client)
    budget = RateLimitItemPerMinute(5)
    ids = ("tenant-" + uuid.uuid4().hex, "key", "abc")
    try:
        # when three units are spent through the pipeline
        first = await windows.spend([(budget, ids)], 3)
        # then limits' own API sees two left, and may spend them
        seen = await windows.limiter.get_window_stats(budget, *ids)
        spent_by_limits = await windows.limiter.hit(budget, *ids, cost=2)
        # and the pipeline sees none left, and is refused
        last = await windows.spend([(budget, ids)], 1)
    finally:
        await client.aclose()

    assert first.admitted == (True,) and first.remaining == 2
    assert seen.remaining == 2
    assert spent_by_limits
    assert last.admitted == (False,) and last.remaining == 0
    assert 0 <= last.reset_in <= 60


async def test_each_budget_is_admitted_or_refused_on_its_own(redis_dsn):
    # given a caller's budget with room and a tenant's that is spent
    client = redis_client(redis_dsn, timeout=2)
    windows = SlidingWindows(client)
    tenant = "tenant-" + uuid.uuid4().hex
    own, shared = RateLimitItemPerMinute(10), RateLimitItemPerMinute(1)
    try:
        await windows.spend([(shared, (tenant, "tenant"))], 1)
        # when a request spends both
        spent = await windows.spend([(own, (tenant, "key", "k1")), (shared, (tenant, "tenant"))])
    finally:
        await client.aclose()

    # then the caller's is spent and the tenant's refused, and the caller's remaining shown
    assert spent.admitted == (True, False)
    assert spent.remaining == 9


async def test_what_is_owed_is_charged_first_or_as_much_as_there_is_room_for(redis_dsn):
    # given a caller's budget of ten units and a tenant's of a hundred, both fresh
    client = redis_client(redis_dsn, timeout=2)
    windows = SlidingWindows(client)
    tenant = "tenant-" + uuid.uuid4().hex
    own, shared = RateLimitItemPerMinute(10), RateLimitItemPerMinute(100)
    budgets = [(own, (tenant, "key", "k1")), (shared, (tenant, "tenant"))]
    try:
        # when a request owing four units spends one
        first = await windows.spend(budgets, 1, [4, 4])
        # and the next owes twenty: more than the caller's budget has room for
        second = await windows.spend(budgets, 1, [20, 20])
        tenant_left = await windows.limiter.get_window_stats(shared, tenant, "tenant")
    finally:
        await client.aclose()

    # then the debt is charged before the unit, and the caller's budget, with room for five
    # only, is charged those five and refuses the unit; the tenant's is charged in full
    assert first.admitted == (True, True) and first.remaining == 5
    assert second.admitted == (False, True) and second.remaining == 0
    assert tenant_left.remaining == 100 - 5 - 21


async def test_windows_made_over_one_client_leave_its_pool_room(redis_dsn):
    # given a client whose pool holds eight connections, and ten windows made over it (as
    # ten apps over one set of services)
    client = aioredis.Redis.from_url(redis_dsn, max_connections=8, socket_timeout=2)
    all_windows = [SlidingWindows(client) for _ in range(10)]
    budget = RateLimitItemPerMinute(1000)
    ids = ("tenant-" + uuid.uuid4().hex, "key", "abc")
    try:
        # when each spends with eight requests in flight
        for windows in all_windows:
            spent = await asyncio.gather(*(windows.spend([(budget, ids)], 1) for _ in range(8)))
            assert all(s.admitted == (True,) for s in spent)
        # then the client still has six connections for six commands at once
        pongs = await asyncio.gather(*(client.ping() for _ in range(6)))
    finally:
        await client.aclose()
    assert pongs == [True] * 6
