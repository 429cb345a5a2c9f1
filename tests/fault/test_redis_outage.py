"""Given the API as a real server on its own PostgreSQL and Redis, its members' balances cached,
under a bounded write load whose clients retry what got no answer with the same idempotency
key, when Redis is killed (SIGKILL) mid-load and started again, empty, a second later — or
paused (SIGSTOP) for a second and resumed with everything it held — then writes go on from
PostgreSQL, every write is applied exactly once, no balance written during the outage is read
stale from the cache afterwards, and the same server process trusts the cache again by itself,
which then holds the right balances."""

from __future__ import annotations

import asyncio
import signal
from uuid import UUID

import pytest
import redis.asyncio as aioredis

from api.schema.common.ids import uuid_of
from persistence.balance_cache import balance_key
from tests.support.deployment import Deployment
from tests.support.fault_checks import (
    assert_every_write_applied_once,
    assert_recovered_in_place,
    balances_through_api,
)
from tests.support.write_load import WriteLoad, plan_writes, under_fault

pytestmark = pytest.mark.fault

WRITES = 240
# A wait, never an assertion: the server skips Redis for a short while after a failure.
CACHED_AGAIN_WITHIN = 10.0


async def _kill_and_restart(d: Deployment) -> None:
    await asyncio.to_thread(d.redis.stop)
    await asyncio.sleep(1)
    await asyncio.to_thread(d.redis.start)


async def _pause_and_resume(d: Deployment) -> None:
    """A partition rather than a crash: Redis keeps the balances it held before."""
    assert d.redis.proc is not None
    d.redis.proc.send_signal(signal.SIGSTOP)
    await asyncio.sleep(1)
    d.redis.proc.send_signal(signal.SIGCONT)


OUTAGES = {"killed": _kill_and_restart, "paused": _pause_and_resume}


@pytest.mark.parametrize("outage", list(OUTAGES))
async def test_a_redis_outage_under_load_loses_and_doubles_no_write(
    deployment: Deployment, outage: str
):
    d = deployment
    # given the members' balances read once, and so cached
    await balances_through_api(d)
    assert await _cached(d) == dict.fromkeys(d.members, (0, 0))

    writes = plan_writes(list(d.members), WRITES)
    load = WriteLoad(d.http, d.kit.secret_key)
    pid = d.server.pid
    during_outage: list[int] = []

    # when Redis is killed (or paused) a third of the way through the load, for a second
    async def crash() -> None:
        await load.acknowledged_at_least(WRITES // 3)
        during_outage.append(len(load.report.acknowledged))
        await OUTAGES[outage](d)
        during_outage.append(len(load.report.acknowledged))

    report = await under_fault(load, writes, crash)
    print(f"\nRedis {outage} under load:\n{report.summary()}")

    # then writes were acknowledged while Redis was out
    before, after = during_outage
    assert after > before, report.summary()

    # and the same server answers, and holds exactly what the clients were told, once each
    await assert_recovered_in_place(d, pid)
    await assert_every_write_applied_once(d, writes, report)

    # and it uses the cache again by itself: balances read through it are cached, and right
    expected = await balances_through_api(d)
    assert await _cached_again(d) == expected


async def _cached(d: Deployment) -> dict[str, tuple[int, int] | None]:
    """Each member's (available, lifetime) points as the private Redis holds them."""
    client = aioredis.from_url(d.redis.url)
    try:
        found: dict[str, tuple[int, int] | None] = {}
        for member_id in d.members:
            key = balance_key(UUID(d.kit.id), uuid_of(member_id, "Member"), "points")
            raw = await client.hgetall(key)
            found[member_id] = (int(raw[b"a"]), int(raw[b"l"])) if raw else None
        return found
    finally:
        await client.aclose()


async def _cached_again(d: Deployment) -> dict[str, tuple[int, int] | None]:
    """Reads every balance through the server until each is cached (boundedly), and returns
    what the cache holds."""
    deadline = asyncio.get_running_loop().time() + CACHED_AGAIN_WITHIN
    while True:
        await balances_through_api(d)
        cached = await _cached(d)
        if None not in cached.values() or asyncio.get_running_loop().time() > deadline:
            return cached
        await asyncio.sleep(0.2)
