"""A preflight while PostgreSQL is down is answered as a temporary failure (503 with a typed
code and `Retry-After`), with the security headers, never a plain-text 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from tests.support.own_postgres import OwnPostgres


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    yield server
    server.close()


async def test_a_preflight_while_the_database_is_down_is_a_typed_503(settings, own_postgres):
    # given an app on a private PostgreSQL that reads the allowed origins every time
    running = await Services.start(
        settings.model_copy(
            update={
                "database_url": own_postgres.url,
                "db_pool_min": 1,
                "db_pool_max": 2,
                "allowed_origins_cache_seconds": 0,
            }
        )
    )
    transport = httpx.ASGITransport(app=create_app(services=running))
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.options("/graphql", headers=preflight)).status_code == 403

            # when the database stops and a browser asks
            own_postgres.stop()
            response = await http.options("/graphql", headers=preflight)

        # then it is told to try again shortly, in JSON with a code and a request id
        assert response.status_code == 503
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAVAILABLE"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert int(response.headers["retry-after"]) > 0
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
    finally:
        await running.close()
