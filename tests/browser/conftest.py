"""The platform as a real server on a free port (the test database and Redis), the console's
world made in it, and Debian's Chromium headless to drive it (tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from api.services import Services
from tests.conftest import TEST_SECRET
from tests.support.api_server import ApiServer
from tests.support.browser import chromium
from tests.support.console_world import ConsoleWorld, make_console_world
from tests.support.gql import GraphQLClient, TenantKit


@pytest.fixture(scope="session")
def console_server(database_url: str, redis_dsn: str) -> Iterator[ApiServer]:
    server = ApiServer({})
    server.env = {
        "LOYALTY_ENVIRONMENT": "production",
        "LOYALTY_DATABASE_URL": database_url,
        "LOYALTY_REDIS_URL": redis_dsn,
        "LOYALTY_SECRET_KEY": TEST_SECRET,
        # The page's own origin: operator sessions and the console's cookie are taken only
        # from it.
        "LOYALTY_PUBLIC_URL": f"http://127.0.0.1:{server.port}",
        "LOYALTY_DB_POOL_MAX": "6",
        "LOYALTY_RATE_LIMIT_PER_MINUTE": "100000",
    }
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def console_world(
    services: Services, gql: GraphQLClient, make_tenant, console_server: ApiServer
) -> ConsoleWorld:
    kit: TenantKit = await make_tenant()
    return await make_console_world(services, gql, kit)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium()
    yield driver
    driver.quit()
