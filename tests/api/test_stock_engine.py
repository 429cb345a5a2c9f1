"""With LOYALTY_ENGINE=stock the engine is off: the clients' operations (graphql/operations/)
are answered by strawberry's own `Schema.execute`, never by the engine's direct path, its
executor or its lean resolvers, and the answers are the ones the engine gives."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import api.http.graphql_endpoint as endpoint
import engine.direct
import engine.lean_resolvers
from api.http.app import create_app
from api.services import Services
from engine.execution import PlainTreeExecutionContext
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.operations import operation
from tests.support.throttling import new_address

ENROLL = operation("storefront/EnrollMember.graphql")
ADJUST = operation("storefront/AdjustPoints.graphql")
MEMBER = operation("storefront/MemberByExternalId.graphql")
PROGRAM = operation("storefront/Program.graphql")
# No plan takes a directive: with the engine on, its executor answers this one.
WITH_A_DIRECTIVE = "query ProgramName { program { name @include(if: true) } }"


@dataclasses.dataclass
class EngineCalls:
    """How often each of the engine's ways in was taken."""

    direct: int = 0
    executor: int = 0
    lean_resolvers: int = 0


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> EngineCalls:
    """Counts the direct path, the engine's executor and its resolver installation."""
    counted = EngineCalls()
    run_cached = engine.direct.run_cached
    executor_init = PlainTreeExecutionContext.__init__
    install = engine.lean_resolvers.install

    async def counting_run_cached(*args: Any, **kwargs: Any) -> Any:
        counted.direct += 1
        return await run_cached(*args, **kwargs)

    def counting_executor_init(self: Any, *args: Any, **kwargs: Any) -> None:
        counted.executor += 1
        executor_init(self, *args, **kwargs)

    def counting_install(schema: Any) -> list[str]:
        counted.lean_resolvers += 1
        return install(schema)

    monkeypatch.setattr(endpoint, "run_cached", counting_run_cached)
    monkeypatch.setattr(engine.direct, "run_cached", counting_run_cached)
    monkeypatch.setattr(PlainTreeExecutionContext, "__init__", counting_executor_init)
    monkeypatch.setattr(engine.lean_resolvers, "install", counting_install)
    return counted


@contextlib.asynccontextmanager
async def _client(services: Services, engine_setting: str) -> AsyncIterator[GraphQLClient]:
    settings = services.settings.model_copy(update={"engine": engine_setting})
    # The session's pool and Redis, under settings that differ in the engine alone.
    app = create_app(services=dataclasses.replace(services, settings=settings))
    transport = httpx.ASGITransport(app=app, client=(new_address(), 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


async def _send(
    client: GraphQLClient, sent: Any, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    """The body of a persisted operation's answer, sent as production clients send it."""
    response = await client.http.post(
        "/graphql", json=sent.body(variables), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body


async def _operations(client: GraphQLClient, kit: TenantKit) -> dict[str, dict[str, Any]]:
    """A storefront's day: enrol a shopper, add points, read the member, read the program
    (once by a document no plan takes)."""
    external_id = f"stock-{uuid.uuid4().hex[:8]}"
    enrolled = await _send(client, ENROLL, {"input": {"externalId": external_id}}, kit.secret_key)
    member_id = enrolled["data"]["enrollMember"]["member"]["id"]
    adjust = {"memberId": member_id, "points": 25, "idempotencyKey": uuid.uuid4().hex}
    adjusted = await _send(client, ADJUST, adjust, kit.secret_key)
    member = await _send(client, MEMBER, {"externalId": external_id}, kit.secret_key)
    program = await _send(client, PROGRAM, {}, kit.publishable_key)
    named = await client(WITH_A_DIRECTIVE, token=kit.publishable_key)
    return {
        "enrolled": enrolled,
        "adjusted": adjusted,
        "member": member,
        "program": program,
        "named": named,
    }


def _without_ids(body: dict[str, Any]) -> Any:
    """An answer without what differs between two members by design."""
    if isinstance(body, dict):
        return {
            k: _without_ids(v)
            for k, v in body.items()
            if k not in ("id", "externalId", "referralCode", "enrolledAt", "createdAt")
        }
    if isinstance(body, list):
        return [_without_ids(v) for v in body]
    return body


async def test_stock_answers_every_operation_without_the_engine(services, tenant, calls):
    # given the app with the engine off
    async with _client(services, "stock") as stock:
        built = dataclasses.replace(calls)

        # when a storefront's operations run through it
        answers = await _operations(stock, tenant)

    # then none of them took the engine's direct path or its executor, and its resolvers
    # were never installed
    assert built == EngineCalls()
    assert calls == EngineCalls()
    # and the answers are right: the member enrolled, 25 points added and read back
    assert answers["enrolled"]["data"]["enrollMember"]["errors"] == []
    adjusted = answers["adjusted"]["data"]["adjustPoints"]
    assert adjusted["errors"] == []
    assert adjusted["entry"]["points"] == 25
    member = answers["member"]["data"]["member"]
    assert member["points"] == adjusted["points"]
    assert member["points"]["available"] >= 25
    assert answers["program"]["data"]["program"] == {
        "__typename": "Program",
        "name": f"Shop {tenant.slug}",
        "slug": tenant.slug,
    }
    assert answers["named"] == {"program": {"name": f"Shop {tenant.slug}"}}


async def test_stock_answers_as_the_engine_does(services, tenant, calls):
    # given the app with the engine off and the app with it on
    async with _client(services, "stock") as stock:
        # when the same operations run through the first
        stock_answers = await _operations(stock, tenant)
    taken_by_stock = dataclasses.replace(calls)
    async with _client(services, "fast") as fast:
        # and through the second
        fast_answers = await _operations(fast, tenant)

    # then the answers are the same but for the new members' own ids
    assert _without_ids(stock_answers) == _without_ids(fast_answers)
    # and the counters that saw nothing of the engine with it off see it with it on
    assert taken_by_stock == EngineCalls()
    assert calls.direct == 5
    assert calls.executor == 1
    assert calls.lean_resolvers == 2  # the privileged and the public schema
