"""Clients from addresses of their own, and operators with real passwords, for the
throttling tests (a throttle counts per client address)."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import AsyncIterator

import httpx

from api.auth.passwords import hash_password
from api.http.app import create_app
from api.services import Services
from tests.support.gql import GraphQLClient
from tests.support.provision import agency_of_tenant

PASSWORD = "correct horse battery staple"

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token errors { code field message } }
}
"""


def new_address() -> str:
    """An address no other test (nor an earlier run against the same Redis) has used."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@contextlib.asynccontextmanager
async def client_from(services: Services, address: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=create_app(services=services), client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


async def operator_with_password(services: Services, tenant_id: str, role: str = "OWNER") -> str:
    """A new operator whose password is PASSWORD, with `role` on the tenant; its email."""
    email = f"throttle-{uuid.uuid4().hex[:12]}@ops.example"
    operator = await services.control.create_operator(
        email,
        hash_password(PASSWORD),
        "Throttle Op",
        await agency_of_tenant(services, tenant_id),
        role,
    )
    await services.control.grant(operator.id, uuid.UUID(tenant_id), role)
    return email


async def login(client: GraphQLClient, email: str, password: str) -> tuple[str | None, str]:
    """(the code of the login's error or None, the Retry-After header or '')."""
    response = await client.raw(LOGIN, {"input": {"email": email, "password": password}})
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["login"]
    code = payload["errors"][0]["code"] if payload["errors"] else None
    if code is None:
        assert payload["token"]
    return code, response.headers.get("retry-after", "")
