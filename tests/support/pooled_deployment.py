"""Replicas behind a pooler: a private PgBouncer in transaction mode in front of the test
database on the shared PostgreSQL, two API processes and two `loyalty worker` processes whose
every pooled connection goes through it, and one direct connection each for LISTEN, as
docs/scaling.md ("Behind PgBouncer") says to run them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tests.support.api_server import ApiServer
from tests.support.own_pgbouncer import OwnPgBouncer
from tests.support.worker_process import WorkerProcess

# Fewer server connections than the processes' pools hold between them, so that clients
# really take turns on them (two API processes of 6 connections, two workers of 3).
SERVER_CONNECTIONS = 6
# A key revoked through one replica is refused by the other once the announcement reaches
# it; the cache time is far longer, so that only the announcement can explain a refusal.
API_KEY_CACHE_SECONDS = 120


@dataclass
class Replicas:
    bouncer: OwnPgBouncer
    servers: list[ApiServer]
    workers: list[WorkerProcess]
    # One client per API process, in the order of `servers`.
    clients: list[httpx.AsyncClient]

    def logs(self) -> str:
        # The pooler's log last and short: a failure shows the ends, the processes' first.
        parts = [f"--- PgBouncer\n{self.bouncer.log[-2000:]}"]
        parts += [f"--- API {i}\n{s.log()}" for i, s in enumerate(self.servers)]
        parts += [f"--- worker {i}\n{w.log()}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)


def replica_env(
    bouncer: OwnPgBouncer, database_url: str, redis_url: str, secret: str
) -> dict[str, str]:
    database = urlsplit(database_url).path.lstrip("/")
    return {
        "LOYALTY_ENVIRONMENT": "production",
        "LOYALTY_DATABASE_URL": bouncer.url(database),
        "LOYALTY_DATABASE_POOLER": "pgbouncer-transaction",
        "LOYALTY_LISTEN_DATABASE_URL": database_url,
        "LOYALTY_REDIS_URL": redis_url,
        "LOYALTY_SECRET_KEY": secret,
        "LOYALTY_DB_POOL_MIN": "1",
        "LOYALTY_DB_POOL_MAX": "6",
        "LOYALTY_API_KEY_CACHE_SECONDS": str(API_KEY_CACHE_SECONDS),
        "LOYALTY_REQUIRE_PERSISTED_QUERIES": "true",
        "LOYALTY_RATE_LIMIT_PER_MINUTE": "1000000",
    }


@asynccontextmanager
async def replicas_behind_pgbouncer(
    database_url: str, redis_url: str, secret: str
) -> AsyncIterator[Replicas]:
    """Everything started is stopped again, whatever fails; the shared servers never are."""
    async with contextlib.AsyncExitStack() as stack:
        bouncer = OwnPgBouncer(database_url, pool_size=SERVER_CONNECTIONS)
        stack.callback(bouncer.stop)
        bouncer.start()
        env = replica_env(bouncer, database_url, redis_url, secret)
        servers = [ApiServer(env) for _ in range(2)]
        workers = [WorkerProcess({**env, "LOYALTY_DB_POOL_MAX": "3"}) for _ in range(2)]
        for server in servers:
            stack.callback(server.stop)
        for worker in workers:
            stack.callback(worker.close)
            worker.start()
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=s.url, timeout=10))
            for s in servers
        ]
        yield Replicas(bouncer, servers, workers, clients)
