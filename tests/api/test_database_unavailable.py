"""Given an app on a PostgreSQL of its own, when that server is stopped, then every request
that needs the database is answered 503 with `UNAVAILABLE`, `Retry-After` and the request
id, as GraphQL JSON, whether the failure comes while the credential is looked up or inside
a resolver, on the fast path or through strawberry's view; and once the server is back,
the same requests are served again.

The shared PostgreSQL is never touched: the server stopped here is the test's own
(tests/support/own_postgres.py), on another port."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.auth.keys import display_prefix, hash_key, new_key
from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from persistence import migrator
from tenants.provisioning import create_tenant
from tests.support.own_postgres import OwnPostgres

PROGRAM = """
query Program { program { name } }
"""

MEMBERS = """
query Members { members(first: 5) { nodes { id } } }
"""

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id } errors { code } }
}
"""

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
SECRET = "own-postgres-secret-key-at-least-32-bytes"


@dataclass
class Shop:
    server: OwnPostgres
    services: Services
    http: httpx.AsyncClient
    slug: str
    tenant_id: uuid.UUID

    async def new_key(self) -> str:
        """A secret key the app has never seen (so looking it up needs the database)."""
        key = new_key("SECRET")
        await self.services.control.add_api_key(
            self.tenant_id, "SECRET", "test", display_prefix(key), hash_key(key, SECRET.encode())
        )
        return key

    async def post(self, key: str, query: str, **variables: Any) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )

    @contextmanager
    def database_down(self) -> Iterator[None]:
        self.server.stop()
        try:
            yield
        finally:
            self.server.start()


@pytest.fixture(scope="module")
async def shop(redis_dsn: str) -> AsyncIterator[Shop]:
    server = OwnPostgres()
    server.start()
    settings = Settings(
        environment="production",
        database_url=server.url,
        redis_url=redis_dsn,
        secret_key=SECRET,
        db_pool_min=1,
        db_pool_max=4,
    )
    services = await Services.start(settings)
    slug = "t" + uuid.uuid4().hex[:12]
    tenant = await create_tenant(services.pool, migrator=migrator, slug=slug, name=f"Shop {slug}")
    transport = httpx.ASGITransport(app=create_app(services=services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Shop(server, services, http, slug, tenant.id)
    finally:
        await services.close()
        server.close()


async def served(shop: Shop, key: str, query: str = MEMBERS) -> httpx.Response:
    """The answer once the app is served again (the pool reconnects on its own)."""
    for _ in range(50):
        response = await shop.post(key, query)
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.2)
    raise AssertionError(f"not served again: {response.status_code} {response.text}")


def unavailable(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of an answer failed by the database: 503, Retry-After, JSON, every error
    UNAVAILABLE with the request id of the response."""
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/json")
    request_id = response.headers["x-request-id"]
    assert REQUEST_ID.match(request_id)
    body = response.json()
    assert not any((body.get("data") or {}).values()), body  # nothing was read
    errors: list[dict[str, Any]] = body["errors"]
    assert errors
    for error in errors:
        assert error["extensions"] == {"code": "UNAVAILABLE", "requestId": request_id}, error
    for leak in ("asyncpg", "Connect call failed", "Traceback", "refused"):
        assert leak not in response.text
    return errors


async def test_a_query_is_a_503_when_the_database_is_down(shop: Shop):
    # given a secret key the app already knows, and a query that reads the database
    key = await shop.new_key()
    await served(shop, key)

    # when the database stops, and the query is sent
    with shop.database_down():
        response = await shop.post(key, MEMBERS)

    # then the resolver's failure is answered 503 UNAVAILABLE, at its path
    [error] = unavailable(response)
    assert error["path"] == ["members"]
    # and once the database is back, the same query is served again
    assert (await served(shop, key)).json() == {"data": {"members": {"nodes": []}}}


async def test_a_query_over_get_is_a_503_when_the_database_is_down(shop: Shop):
    # given a known key, and the same query sent over GET (strawberry's view answers it)
    key = await shop.new_key()
    await served(shop, key)

    # when the database stops
    with shop.database_down():
        response = await shop.http.get(
            "/graphql", params={"query": MEMBERS}, headers={"Authorization": f"Bearer {key}"}
        )

    # then it is answered 503 UNAVAILABLE too
    unavailable(response)


async def test_a_mutation_is_a_503_when_the_database_is_down(shop: Shop):
    # given a known key
    key = await shop.new_key()
    await served(shop, key)

    # when the database stops, and a member is enrolled
    with shop.database_down():
        response = await shop.post(key, ENROLL, input={"externalId": "down"})

    # then it is answered 503 UNAVAILABLE
    unavailable(response)


async def test_a_credential_looked_up_while_the_database_is_down_is_a_503(shop: Shop):
    # given a secret key the app has never seen
    await served(shop, await shop.new_key())
    key = await shop.new_key()

    # when the database stops, and the key is used
    with shop.database_down():
        response = await shop.post(key, PROGRAM)

    # then looking it up fails as unavailable, not as a refused credential or a crash
    [error] = unavailable(response)
    assert "path" not in error  # refused at the door, before any operation ran
    # and once the database is back, the key is accepted
    assert (await served(shop, key, PROGRAM)).json()["data"]["program"] == {
        "name": f"Shop {shop.slug}"
    }


async def test_a_crashed_database_is_a_503_too(shop: Shop):
    # given a known key
    key = await shop.new_key()
    await served(shop, key)

    # when the database crashes (its postmaster killed), and the query is sent
    shop.server.kill()
    try:
        response = await shop.post(key, MEMBERS)
    finally:
        shop.server.start()

    # then it is answered 503 UNAVAILABLE
    unavailable(response)
    await served(shop, key)
