"""A cached, valid document runs straight through graphql-core (engine/direct.py) and is
answered exactly as strawberry's `Schema.execute` answers it: data, refusals, masked errors,
validation errors and operations it cannot pick alike."""

from __future__ import annotations

from typing import Any

import pytest

import api.http.graphql_endpoint as endpoint
from engine.direct import run_cached
from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient

MEMBER = """
query Member($id: ID, $externalId: String) {
  member(id: $id, externalId: $externalId) {
    id externalId status points { available pending } history(first: 5) { nodes { kind points } }
  }
}
"""
# A mutation whose answer does not depend on what ran before it: each way adds the same.
ADD_POINTS = """
mutation Add($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    entry { points kind reason } member { externalId status } replayed errors { code }
  }
}
"""
TWO_OPERATIONS = "query A { program { name } } query B { program { currency } }"


def _comparable(status: int, body: Any) -> tuple[int, Any]:
    """The response without its request ids, which differ by design."""
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return status, body


async def _both_ways(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any], token: str
) -> tuple[tuple[int, Any], tuple[int, Any], int]:
    answered = 0

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal answered
        result = await run_cached(*args, **kwargs)
        answered += result is not None
        return result

    async def strawberry_only(*args: Any, **kwargs: Any) -> None:
        return None

    headers = {"Authorization": f"Bearer {token}"}
    monkeypatch.setattr(endpoint, "run_cached", strawberry_only)
    usual = await gql.http.post("/graphql", json=body, headers=headers)
    monkeypatch.setattr(endpoint, "run_cached", counting)
    direct = await gql.http.post("/graphql", json=body, headers=headers)
    return (
        _comparable(usual.status_code, usual.json()),
        _comparable(direct.status_code, direct.json()),
        answered,
    )


@pytest.mark.parametrize(
    ("case", "direct"),
    [
        ("found", True),
        ("unknown member", True),
        ("malformed id", True),
        ("masked error", True),
        ("refused mutation", True),
        ("mutation", True),
        ("masked mutation error", True),
        ("invalid document", False),
        ("two operations, none named", False),
        ("two operations, one named", True),
        ("variables of the wrong type", True),
    ],
)
async def test_answers_as_strawberry_does(gql, tenant, enroll, monkeypatch, case, direct):
    # given a member with some history
    member_id = await enroll(tenant, "direct-1", points=7)
    bodies: dict[str, dict[str, Any]] = {
        "found": {"query": MEMBER, "variables": {"id": member_id}},
        "unknown member": {"query": MEMBER, "variables": {"externalId": "nobody"}},
        "malformed id": {"query": MEMBER, "variables": {"id": "not-an-id"}},
        # PostgreSQL text cannot hold NUL: an unexpected error, masked with the request id
        "masked error": {"query": MEMBER, "variables": {"externalId": "a\x00b"}},
        "refused mutation": {
            "query": ADJUST,
            "variables": {"input": {"memberId": member_id, "points": 0}},
        },
        "mutation": {
            "query": ADD_POINTS,
            "variables": {"input": {"memberId": member_id, "points": 5, "reason": "thanks"}},
        },
        # the use case fails in PostgreSQL, after the mutation's resolver was called
        "masked mutation error": {
            "query": ADD_POINTS,
            "variables": {"input": {"memberId": member_id, "points": 5, "reason": "a\x00b"}},
        },
        "invalid document": {"query": "{ member { nope } }"},
        "two operations, none named": {"query": TWO_OPERATIONS},
        "two operations, one named": {"query": TWO_OPERATIONS, "operationName": "B"},
        "variables of the wrong type": {"query": MEMBER, "variables": {"id": 12}},
    }

    # when the same request is answered by strawberry alone, then by the direct way
    usual, got, answered = await _both_ways(gql, monkeypatch, bodies[case], tenant.secret_key)

    # then the answers are the same, and the direct way answered when it could
    assert got == usual
    assert usual[0] < 500
    assert answered == (1 if direct else 0)
    # and each way ran a mutation once: the welcome points, then 5 from each successful one
    read = await gql(MEMBER, {"id": member_id}, token=tenant.secret_key)
    added = 10 if case == "mutation" else 0
    assert read["member"]["points"]["available"] == 7 + added


async def test_an_operation_name_that_is_not_a_string_is_refused_not_crashed(gql, tenant):
    # given a body whose operationName is a list
    body = {"query": "{ program { name } }", "operationName": ["x"]}

    # when it is sent
    response = await gql.http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {tenant.secret_key}"}
    )

    # then it is answered without a server error
    assert response.status_code < 500, response.text
