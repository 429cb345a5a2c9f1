"""The PostgreSQL and Redis a benchmark runs against, and a throwaway database on it.

Configured servers first (LOYALTY_DATABASE_URL / LOYALTY_REDIS_URL), else the ones on
localhost when they answer, else the embedded servers the app itself falls back to.
Every benchmark works in a fresh database that it drops at the end, and deletes its
tenants' Redis keys, so a run leaves nothing behind on a shared server.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis.asyncio as aioredis

from api.settings import Settings

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Servers:
    postgres_admin: str
    redis: str
    origin: str  # "configured", "localhost" or "embedded", for the report


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def _postgres_answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def find_servers() -> Servers:
    configured_pg = os.environ.get("LOYALTY_DATABASE_URL")
    configured_redis = os.environ.get("LOYALTY_REDIS_URL")
    origins = []
    if configured_pg:
        pg, origin = configured_pg, "configured"
    elif _port_open(5432) and await _postgres_answers(LOCAL_POSTGRES):
        pg, origin = LOCAL_POSTGRES, "localhost"
    else:
        # The app's own default: an embedded server under ./.loyalty (pgserver).
        pg, origin = Settings(database_url=None).database_dsn(), "embedded"
    origins.append(origin)
    if configured_redis:
        rd, origin = configured_redis, "configured"
    elif _port_open(6379):
        rd, origin = LOCAL_REDIS, "localhost"
    else:
        rd, origin = Settings(redis_url=None).redis_dsn(), "embedded"
    origins.append(origin)
    label = origins[0] if origins[0] == origins[1] else f"postgres {origins[0]}, redis {origins[1]}"
    return Servers(pg, rd, label)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name` (keeps a socket-host query intact)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def create_database(admin_url: str, prefix: str = "loyalty_bench") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def delete_tenant_keys(redis_url: str, tenant_ids: list[str]) -> int:
    """Deletes every key of the given tenants (all keys start with `{t:<tenant id>}`)."""
    client = aioredis.Redis.from_url(redis_url)
    deleted = 0
    try:
        for tenant_id in tenant_ids:
            batch: list[bytes] = []
            async for key in client.scan_iter(match=f"{{t:{tenant_id}}}*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += await client.delete(*batch)
                    batch.clear()
            if batch:
                deleted += await client.delete(*batch)
    finally:
        await client.aclose()
    return deleted


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
