"""Given settings whose later start-up step cannot connect (the default cluster's listening
URL, another cluster's database, another cluster's listening URL), when the services start,
then the start fails with that step's own error and leaves nothing it had opened behind:
every pool it made is closed, no announcement listener goes on reconnecting, and its Redis
client holds no connection. A start that succeeds leaves nothing open once closed either."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

import api.services
from api.services import Services
from api.settings import Settings
from persistence.balance_cache import redis_client
from persistence.db import create_pool
from persistence.redis_cluster import RedisClient
from tests.support.servers import free_port

LISTENER_TASK = "announcement-listener"  # persistence/announcements.py names its task so


@dataclass
class Opened:
    """The real pools and Redis clients a start made, recorded as it makes them."""

    pools: list[asyncpg.Pool] = field(default_factory=list)
    clients: list[RedisClient] = field(default_factory=list)
    pings: int = 0

    async def pool(self, dsn: str, **options: Any) -> asyncpg.Pool:
        # By the time a later step runs, the Redis client holds a connection, as it does once
        # it has served anything: closed, the server sees it go.
        for client in self.clients:
            await client.ping()
            self.pings += 1
        made = await create_pool(dsn, **options)
        self.pools.append(made)
        return made

    def client(self, url: str, *, timeout: float) -> RedisClient:
        made = redis_client(url, timeout=timeout)
        self.clients.append(made)
        return made


@pytest.fixture
async def opened(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Opened]:
    record = Opened()
    monkeypatch.setattr(api.services, "create_pool", record.pool)
    monkeypatch.setattr(api.services, "redis_client", record.client)
    before = _listeners()
    yield record
    # Whatever a failing test left open goes, so the rest of the suite (on the same event
    # loop) does not run beside a listener reconnecting to a database that is gone.
    for task in _listeners() - before:
        task.cancel()
    for pool in record.pools:
        pool.terminate()
    for client in record.clients:
        await client.aclose()


def _listeners() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t.get_name() == LISTENER_TASK and not t.done()}


def _nowhere() -> str:
    """A PostgreSQL URL on a port nothing listens on."""
    return f"postgresql://postgres@127.0.0.1:{free_port()}/loyalty"


def _named(redis_dsn: str, name: str) -> str:
    """The Redis URL with a client name every connection made from it announces."""
    return f"{redis_dsn}{'&' if '?' in redis_dsn else '?'}client_name={name}"


async def _connections_named(redis_dsn: str, name: str) -> int:
    """How many connections the Redis server holds under `name`, once those closed are gone
    (the server notices a closed connection a moment after the client closes it)."""
    watcher = aioredis.Redis.from_url(redis_dsn)
    try:
        for _ in range(50):
            held = sum(c.get("name") == name for c in await watcher.client_list())
            if held == 0:
                return 0
            await asyncio.sleep(0.05)
        return held
    finally:
        await watcher.aclose()


LATE_FAILURES: dict[str, Callable[[str], dict[str, str]]] = {
    # the default cluster's pool and the Redis client are open
    "listen-url-unreachable": lambda database: {"listen_database_url": _nowhere()},
    # ... and the default cluster's listening pool and its listener
    "cluster-unreachable": lambda database: {
        "listen_database_url": database,
        "clusters": f"east={_nowhere()}",
    },
    # ... and the other cluster's pool (here on the same database)
    "cluster-listen-url-unreachable": lambda database: {
        "clusters": f"east={database}",
        "cluster_listen_urls": f"east={_nowhere()}",
    },
}


def _late_failure(settings: Settings, redis_name: str, failure: str) -> Settings:
    return settings.model_copy(
        update={
            **LATE_FAILURES[failure](settings.database_dsn()),
            "redis_url": _named(settings.redis_dsn(), redis_name),
            "db_pool_min": 1,
            "db_pool_max": 2,
        }
    )


@pytest.mark.parametrize("failure", list(LATE_FAILURES))
async def test_a_start_that_fails_late_closes_what_it_had_opened(
    settings: Settings, redis_dsn: str, opened: Opened, failure: str
) -> None:
    # given settings whose later step cannot connect, and the listeners already running
    redis_name = f"loyalty-start-{uuid.uuid4().hex[:12]}"
    broken = _late_failure(settings, redis_name, failure)
    running = _listeners()

    # when the services start, then that step's own error is raised
    with pytest.raises(OSError):
        await Services.start(broken)

    # and every pool the start made is closed
    assert opened.pools, "the start opened no pool before it failed"
    assert [p.is_closing() for p in opened.pools] == [True] * len(opened.pools)
    # and no listener it started is left reconnecting
    assert _listeners() <= running
    # and its Redis client, which held a connection, holds none any more
    assert opened.pings > 0
    assert await _connections_named(redis_dsn, redis_name) == 0


async def test_services_closed_after_a_good_start_leave_nothing_open(
    settings: Settings, redis_dsn: str, opened: Opened
) -> None:
    # given services started with another cluster, each cluster listening on a pool of its own
    redis_name = f"loyalty-start-{uuid.uuid4().hex[:12]}"
    database = settings.database_dsn()
    running = _listeners()
    services = await Services.start(
        settings.model_copy(
            update={
                "listen_database_url": database,
                "clusters": f"east={database}",
                "cluster_listen_urls": f"east={database}",
                "redis_url": _named(redis_dsn, redis_name),
                "db_pool_min": 1,
                "db_pool_max": 2,
            }
        )
    )
    await services.redis.ping()
    assert len(opened.pools) == 4
    assert len(_listeners() - running) == 2

    # when they are closed, twice (an app's shutdown and its embedding program's both may)
    await services.close()
    await services.close()

    # then nothing they opened is left open
    assert [p.is_closing() for p in opened.pools] == [True] * 4
    assert _listeners() <= running
    assert await _connections_named(redis_dsn, redis_name) == 0
