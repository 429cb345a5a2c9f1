"""A whole deployment of its own, for a test that kills its parts: a private PostgreSQL and
Redis (never the shared servers, which other tests and processes use) and the API as a uvicorn
process on them, configured as production is (persisted queries required), with one tenant,
its keys and ten members. Clients send the documents of graphql/operations/ by hash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from api.services import Services
from api.settings import Settings
from tests.support.api_server import ApiServer
from tests.support.gql import TenantKit
from tests.support.operations import Operation, operation
from tests.support.own_postgres import OwnPostgres
from tests.support.provision import add_key, provision_tenant
from tests.support.servers import OwnRedis

SECRET = "fault-test-secret-key-not-for-production"
MEMBERS = 10
ENROLL_MEMBER = operation("storefront/EnrollMember.graphql")


@dataclass
class Deployment:
    postgres: OwnPostgres
    redis: OwnRedis
    server: ApiServer
    http: httpx.AsyncClient
    kit: TenantKit
    schema: str
    # More secret keys of the tenant, for the test to revoke.
    spare_keys: list[str]
    # The members' external ids by their global ids.
    members: dict[str, str]

    async def send(
        self, op: Operation, variables: dict[str, Any], *, token: str, tenant: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if tenant:
            headers["X-Tenant"] = tenant
        return await self.http.post("/graphql", json=op.body(variables), headers=headers)

    async def data(
        self, op: Operation, variables: dict[str, Any], *, token: str, tenant: str | None = None
    ) -> dict[str, Any]:
        """The `data` of an answer that must have no top-level errors."""
        response = await self.send(op, variables, token=token, tenant=tenant)
        assert response.status_code == 200 and not response.json().get("errors"), response.text
        data: dict[str, Any] = response.json()["data"]
        return data


def server_env(postgres: OwnPostgres, redis: OwnRedis) -> dict[str, str]:
    return {
        "LOYALTY_ENVIRONMENT": "production",
        "LOYALTY_DATABASE_URL": postgres.url,
        "LOYALTY_REDIS_URL": redis.url,
        "LOYALTY_SECRET_KEY": SECRET,
        "LOYALTY_DB_POOL_MIN": "2",
        "LOYALTY_DB_POOL_MAX": "8",
        # A dead Redis is noticed within a request and skipped for half a second at a time.
        "LOYALTY_REDIS_TIMEOUT": "0.2",
        "LOYALTY_REDIS_BREAKER_SECONDS": "0.5",
        "LOYALTY_REQUIRE_PERSISTED_QUERIES": "true",
        # Request budgets stay on (they fail open while Redis is away) but wide enough that
        # the load is never refused for its rate.
        "LOYALTY_RATE_LIMIT_PER_MINUTE": "1000000",
    }


async def _provision(postgres: OwnPostgres, redis: OwnRedis) -> tuple[TenantKit, str, list[str]]:
    """The tenant and its keys, made by this process, which then lets go of the database: the
    test holds no connection the crash could break."""
    settings = Settings(
        environment="production",
        database_url=postgres.url,
        redis_url=redis.url,
        secret_key=SECRET,
        db_pool_min=1,
        db_pool_max=2,
    )
    services = await Services.start(settings)
    try:
        kit = await provision_tenant(services, SECRET)
        tenant = await services.registry.get(UUID(kit.id))
        assert tenant is not None
        spare = [await add_key(services, tenant.id, "SECRET", SECRET) for _ in range(2)]
        return kit, tenant.schema_name, spare
    finally:
        await services.close()


async def _enroll(http: httpx.AsyncClient, kit: TenantKit) -> dict[str, str]:
    members = {}
    headers = {"Authorization": f"Bearer {kit.secret_key}"}
    for i in range(MEMBERS):
        external_id = f"fault-{i}"
        body = ENROLL_MEMBER.body({"input": {"externalId": external_id}})
        answer = (await http.post("/graphql", json=body, headers=headers)).json()
        assert answer.get("data") and answer["data"]["enrollMember"]["errors"] == [], answer
        members[answer["data"]["enrollMember"]["member"]["id"]] = external_id
    return members


@asynccontextmanager
async def own_deployment() -> AsyncIterator[Deployment]:
    """Started in this order, and everything started is stopped again, whatever fails."""
    async with contextlib.AsyncExitStack() as stack:
        postgres = OwnPostgres()
        stack.callback(postgres.close)
        await asyncio.to_thread(postgres.start)
        redis = OwnRedis()
        stack.callback(redis.stop)
        redis.start()
        kit, schema, spare = await _provision(postgres, redis)
        server = ApiServer(server_env(postgres, redis))
        stack.callback(server.stop)
        await asyncio.to_thread(server.start)
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=server.url, timeout=5))
        members = await _enroll(http, kit)
        yield Deployment(postgres, redis, server, http, kit, schema, spare, members)
