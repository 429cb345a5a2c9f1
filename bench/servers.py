"""The PostgreSQL and Redis a benchmark runs against, and a throwaway database on it.

Configured servers first (LOYALTY_DATABASE_URL / LOYALTY_REDIS_URL), else the ones on
localhost when they answer, else the embedded servers the app itself falls back to.
Every benchmark works in a fresh database that it drops at the end, and deletes its
tenants' Redis keys, so a run leaves nothing behind on a shared server.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis

from api.services import Services
from api.settings import Settings
from persistence import local_servers, migrator
from persistence.local_servers import drop_database, free_port, local_postgres, local_redis
from tenants.provisioning import create_tenant
from tenants.registry import Tenant

__all__ = [
    "Servers",
    "create_database",
    "delete_tenant_keys",
    "drop_database",
    "find_servers",
    "free_port",
    "scratch_services",
    "scratch_tenant",
]


@dataclass(frozen=True)
class Servers:
    postgres_admin: str
    redis: str
    origin: str  # "configured", "localhost" or "embedded", for the report


async def _postgres() -> tuple[str, str]:
    configured = os.environ.get("LOYALTY_DATABASE_URL")
    if configured:
        return configured, "configured"
    local = await local_postgres()
    if local:
        return local, "localhost"
    # The app's own default: an embedded server under ./.loyalty (pgserver).
    return Settings(database_url=None).database_dsn(), "embedded"


def _redis() -> tuple[str, str]:
    configured = os.environ.get("LOYALTY_REDIS_URL")
    if configured:
        return configured, "configured"
    local = local_redis()
    if local:
        return local, "localhost"
    return Settings(redis_url=None).redis_dsn(), "embedded"


async def find_servers() -> Servers:
    (pg, pg_origin), (rd, rd_origin) = await _postgres(), _redis()
    label = pg_origin if pg_origin == rd_origin else f"postgres {pg_origin}, redis {rd_origin}"
    return Servers(pg, rd, label)


async def create_database(admin_url: str, prefix: str = "loyalty_bench") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    return name, await local_servers.create_database(admin_url, name)


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


@asynccontextmanager
async def scratch_tenant(prefix: str, slug: str) -> AsyncIterator[tuple[Services, Tenant]]:
    """Services over a fresh database holding one tenant; the database and the tenant's
    Redis keys are gone afterwards."""
    async with scratch_services(prefix) as (servers, services):
        tenant = await create_tenant(services.pool, migrator=migrator, slug=slug, name=slug)
        try:
            yield services, tenant
        finally:
            await delete_tenant_keys(servers.redis, [str(tenant.id)])


@asynccontextmanager
async def scratch_services(prefix: str) -> AsyncIterator[tuple[Servers, Services]]:
    """The servers, and the app's services (production settings, a random secret key) on a
    fresh database named after `prefix`, dropped at the end."""
    servers = await find_servers()
    db_name, url = await create_database(servers.postgres_admin, prefix)
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            redis_url=servers.redis,
            secret_key=secrets.token_urlsafe(32),
        )
        services = await Services.start(settings)
        try:
            yield servers, services
        finally:
            await services.close()
    finally:
        await drop_database(servers.postgres_admin, db_name)
