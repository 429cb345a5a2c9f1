"""Given a page whose members share one batch read, queried through two lists at once, when
one member's field fails, then the answer is that field's GraphQL error at its path, null
propagated as the schema says: on the query plan, on the direct executor and on strawberry's
own executor alike, and never a server error."""

from __future__ import annotations

from typing import Any

import pytest

import api.graphql_endpoint as endpoint
from tests.support.gql import GraphQLClient, TenantKit

TWO_LISTS = """
query TwoLists {
  members(first: 20) {
    a: nodes { tier { current { name } } }
    b: nodes { tier { current { name } } history(after: "bad") { pageInfo { hasNextPage } } }
  }
}
"""
# A directive keeps the query from the plan: the direct way's graphql-core executor answers.
TWO_LISTS_EXECUTED = TWO_LISTS.replace("b: nodes {", "b: nodes @include(if: true) {")

PATHS = ["plan", "executor", "strawberry"]


async def _answer(
    gql: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    kit: TenantKit,
    path: str,
    query: str,
) -> tuple[int, dict[str, Any]]:
    """The status and body of `query` answered by one execution path."""
    if path == "strawberry":

        async def strawberry_only(*args: Any, **kwargs: Any) -> None:
            return None

        monkeypatch.setattr(endpoint, "run_cached", strawberry_only)
    if path == "executor":
        query = query.replace("b: nodes {", "b: nodes @include(if: true) {")
    try:
        response = await gql.raw(query, token=kit.secret_key)
    finally:
        monkeypatch.undo()
    return response.status_code, response.json()


@pytest.mark.parametrize("path", PATHS)
async def test_one_failing_member_of_a_shared_batch_answers_its_error_at_its_path(
    gql, tenant, enroll, monkeypatch, path
):
    # given a page of members
    for points in (0, 10, 20):
        await enroll(tenant, points=points)

    # when the page is read through two lists, one member field of which fails
    status, body = await _answer(gql, monkeypatch, tenant, path, TWO_LISTS)

    # then the answer is the history's refusal at its path, nulled up to `members`
    assert status == 200, body
    assert body["data"] == {"members": None}
    errors = body["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["path"][:2] == ["members", "b"]
    assert errors[0]["path"][3] == "history"
    assert errors[0]["extensions"]["code"] == "INVALID"
