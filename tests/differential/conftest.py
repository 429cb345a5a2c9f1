"""The differential suite's fixtures: the production app (engine on) and the same app with
the engine off, each with services of its own over the same database and Redis, the plain
reference schema, and a tenant seeded for the queries to read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.conftest import MakeTenant
from tests.differential.reference import Reference
from tests.differential.sides import AppSide, EngineCount
from tests.differential.world import World, seed_world
from tests.support.gql import GraphQLClient
from tests.support.throttling import new_address


async def _app_side(settings: Settings, engine: str) -> AsyncIterator[AppSide]:
    # Pools of their own, small: the suite shares one PostgreSQL with every other test. No
    # request budgets: the two apps share them in Redis (same credentials, same tenant), so
    # one of them could be refused a request the other was not, which is no difference of
    # execution.
    changes = {"engine": engine, "db_pool_min": 1, "db_pool_max": 4, "rate_limits_enabled": False}
    running = await Services.start(settings.model_copy(update=changes))
    # An address of its own per side: anonymous calls and logins are throttled per address.
    transport = httpx.ASGITransport(app=create_app(services=running), client=(new_address(), 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield AppSide(engine, GraphQLClient(http))
    finally:
        await running.close()


@pytest.fixture(scope="session")
async def fast(settings: Settings) -> AsyncIterator[AppSide]:
    async for side in _app_side(settings, "fast"):
        yield side


@pytest.fixture(scope="session")
async def stock(settings: Settings) -> AsyncIterator[AppSide]:
    async for side in _app_side(settings, "stock"):
        yield side


@pytest.fixture(scope="session")
def reference(services: Services) -> Reference:
    return Reference(services, new_address())


@pytest.fixture(scope="session")
async def world(fast: AppSide, make_tenant: MakeTenant) -> World:
    return await seed_world(fast.client, await make_tenant())


@pytest.fixture
def engine_count(monkeypatch: pytest.MonkeyPatch) -> EngineCount:
    """Counts what the engine answers itself during one test."""
    count = EngineCount()
    count.wrap(monkeypatch)
    return count
