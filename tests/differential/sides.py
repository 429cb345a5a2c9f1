"""The sides of a comparison: the production app, the same app with the engine off, and the
plain reference (tests/differential/reference.py), each sent the same request."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

import pytest

import api.http.graphql_endpoint as endpoint
import engine.direct as direct
from tests.differential.answers import Answer, assert_same
from tests.support.gql import GraphQLClient


class Side(Protocol):
    name: str

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer: ...


class AppSide:
    """An app over ASGI, sent the request as a client sends it."""

    def __init__(self, name: str, client: GraphQLClient) -> None:
        self.name = name
        self.client = client

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer:
        body: dict[str, Any] = {"query": query, "variables": variables}
        if operation_name is not None:
            body["operationName"] = operation_name
        response = await self.client.http.post(
            "/graphql", json=body, headers=_headers(token, tenant)
        )
        return Answer(response.status_code, response.json())


class ByHash:
    """An app sent the document by its sha256 alone, as production clients send the
    documents of graphql/operations/ (persisted queries)."""

    def __init__(self, side: AppSide) -> None:
        self.name = f"{side.name} by hash"
        self.client = side.client

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer:
        persisted = {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
        body: dict[str, Any] = {"variables": variables, "extensions": {"persistedQuery": persisted}}
        if operation_name is not None:
            body["operationName"] = operation_name
        response = await self.client.http.post(
            "/graphql", json=body, headers=_headers(token, tenant)
        )
        return Answer(response.status_code, response.json())


class ByGet:
    """An app sent the request as a GET with the document in the query string: strawberry's
    view runs it, over the app's schema (with the engine's execution, where it is on)."""

    def __init__(self, side: AppSide) -> None:
        self.name = f"{side.name} by GET"
        self.client = side.client

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer:
        params = {"query": query, "variables": json.dumps(variables or {})}
        if operation_name is not None:
            params["operationName"] = operation_name
        response = await self.client.http.get(
            "/graphql", params=params, headers=_headers(token, tenant)
        )
        return Answer(response.status_code, response.json())


def _headers(token: str | None, tenant: str | None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if tenant:
        headers["X-Tenant"] = tenant
    return headers


async def same_everywhere(
    sides: tuple[Side, ...],
    query: str,
    variables: dict[str, Any] | None,
    credential: tuple[str | None, str | None],
    operation_name: str | None = None,
) -> Answer:
    """Sends the request to every side, one after the other, and asserts that each answers
    as the first; returns the first's answer."""
    token, tenant = credential
    first, *others = sides
    expected = await first.send(query, variables, token, tenant, operation_name)
    request = {"query": query, "variables": variables, "operationName": operation_name}
    for side in others:
        answer = await side.send(query, variables, token, tenant, operation_name)
        assert_same(expected, answer, (first.name, side.name), request)
    return expected


class EngineCount:
    """How many requests the engine's own paths answered (engine/direct.py): the cached
    direct path, and of those the ones a query plan answered whole. A differential test
    whose requests all went around the engine would compare stock with stock."""

    def __init__(self) -> None:
        self.direct = 0
        self.planned = 0

    def wrap(self, monkeypatch: pytest.MonkeyPatch) -> None:
        run_cached, run_plan = direct.run_cached, direct.run_plan

        async def counted_cached(*args: Any, **kwargs: Any) -> Any:
            result = await run_cached(*args, **kwargs)
            self.direct += result is not None
            return result

        async def counted_plan(*args: Any, **kwargs: Any) -> Any:
            data = await run_plan(*args, **kwargs)
            self.planned += data is not None
            return data

        monkeypatch.setattr(direct, "run_plan", counted_plan)
        monkeypatch.setattr(endpoint, "run_cached", counted_cached)
