"""A tiny GraphQL client over the ASGI app, and fixtures' shared shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class TenantKit:
    """A tenant made for one test, with its credentials."""

    id: str
    slug: str
    secret_key: str
    publishable_key: str
    operator_token: str
    operator_email: str


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        tenant: str | None = None,
    ) -> httpx.Response:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["X-Tenant"] = tenant
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        """The `data` of a response that must have no top-level errors."""
        response = await self.raw(query, variables, token=token, tenant=tenant)
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def errors(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        tenant: str | None = None,
    ) -> list[dict[str, Any]]:
        """The top-level errors of a response that must have some."""
        response = await self.raw(query, variables, token=token, tenant=tenant)
        assert response.status_code < 500, response.text
        body = response.json()
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors
