"""An API process of a test's own: its services on a database of their own on the shared
server (dropped afterwards), in production mode, and a GraphQL client of its app, for tests
that start other servers beside it (private clusters, poolers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from domain.clock import Clock
from tests.conftest import TEST_SECRET
from tests.support.gql import GraphQLClient
from tests.support.servers import (
    create_test_database,
    drop_test_database,
    postgres_admin_url,
    redis_url,
)
from tests.support.throttling import new_address


@asynccontextmanager
async def app_on_test_database(
    clock: Clock, *, direct_listener: bool = False, **fields: Any
) -> AsyncIterator[tuple[Services, GraphQLClient]]:
    """`fields`: the rest of the settings. `direct_listener`: LOYALTY_LISTEN_DATABASE_URL set
    to the database's own URL, as beside a pooler."""
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    try:
        settings = Settings(
            environment="production",
            database_url=url,
            listen_database_url=url if direct_listener else None,
            redis_url=redis_url(),
            secret_key=TEST_SECRET,
            rate_limit_per_minute=100_000,
            **fields,
        )
        services = await Services.start(settings, clock=clock)
        try:
            transport = httpx.ASGITransport(
                app=create_app(services=services), client=(new_address(), 123)
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield services, GraphQLClient(http)
        finally:
            await services.close()
    finally:
        await drop_test_database(admin, name)
