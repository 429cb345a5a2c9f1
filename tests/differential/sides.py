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


class _OverHttp:
    """A side that sends the request to an app over ASGI; how the request is carried (its
    method and where the document goes) is each subclass's."""

    name: str
    client: GraphQLClient

    def carried(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        """The method and the `json` or `params` of the request."""
        raise NotImplementedError

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer:
        response = await self.client.http.request(
            url="/graphql",
            headers=credential_headers(token, tenant),
            **self.carried(query, variables, operation_name),
        )
        return Answer(response.status_code, response.json())


class AppSide(_OverHttp):
    """An app over ASGI, sent the request as a client sends it."""

    def __init__(self, name: str, client: GraphQLClient) -> None:
        self.name = name
        self.client = client

    def carried(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        return {"method": "POST", "json": _named(body, operation_name)}


class ByHash(_OverHttp):
    """An app sent the document by its sha256 alone, as production clients send the
    documents of graphql/operations/ (persisted queries)."""

    def __init__(self, side: AppSide) -> None:
        self.name = f"{side.name} by hash"
        self.client = side.client

    def carried(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        persisted = {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
        body = {"variables": variables, "extensions": {"persistedQuery": persisted}}
        return {"method": "POST", "json": _named(body, operation_name)}


class ByGet(_OverHttp):
    """An app sent the request as a GET with the document in the query string: strawberry's
    view runs it, over the app's schema (with the engine's execution, where it is on)."""

    def __init__(self, side: AppSide) -> None:
        self.name = f"{side.name} by GET"
        self.client = side.client

    def carried(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> dict[str, Any]:
        params = {"query": query, "variables": json.dumps(variables or {})}
        return {"method": "GET", "params": _named(params, operation_name)}


def _named(fields: dict[str, Any], operation_name: str | None) -> dict[str, Any]:
    """The request's fields, with the operation's name when one is given: a request that
    names none must not carry the key at all."""
    return fields if operation_name is None else fields | {"operationName": operation_name}


def credential_headers(token: str | None, tenant: str | None) -> dict[str, str]:
    """The headers a client sends its credential in (the reference reads them too)."""
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
