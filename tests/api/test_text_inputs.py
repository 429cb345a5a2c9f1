"""Given text holding a NUL character or an unpaired surrogate, which PostgreSQL cannot store
and UTF-8 cannot encode, when it arrives in any string input (a variable, or a literal in the
document), then it is refused as INVALID before any resolver runs, on the direct execution
path and the standard one alike, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ADJUST, ENROLL
from tests.support.earning import RECORD, order
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.paths import PATHS, take

MEMBER = """
query Member($externalId: String) { member(externalId: $externalId) { id } }
"""
SEARCH = """
query Search($filter: MemberFilterInput) { members(first: 5, filter: $filter) { nodes { id } } }
"""
LOGIN = """
mutation Login($input: LoginInput!) { login(input: $input) { errors { code } } }
"""
UPDATE_MEMBER = """
mutation UpdateMember($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id } errors { code field message } }
}
"""
ENROLL_LITERAL = """
mutation EnrollLiteral {
  enrollMember(input: {externalId: %s}) { member { id } errors { code } }
}
"""
SEARCH_LITERAL = """
query SearchLiteral { members(first: 5, filter: {search: %s}) { nodes { id } } }
"""
COUNT = "query Count { members(first: 100) { nodes { id } } }"

UNFIT = [
    pytest.param("shop\x00per", id="nul"),
    pytest.param("shop\ud800per", id="lone-high-surrogate"),
    pytest.param("\udfff", id="lone-low-surrogate"),
]


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    take(monkeypatch, request.param)
    return str(request.param)


async def _post(
    gql: GraphQLClient,
    query: str,
    variables: dict[str, Any],
    token: str | None = None,
    tenant: str | None = None,
) -> dict[str, Any]:
    """The response body; the request's JSON escapes every non-ASCII character, so a lone
    surrogate travels as `\\ud800`, as a client's JSON encoder would send it."""
    headers = {"content-type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if tenant:
        headers["X-Tenant"] = tenant
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = await gql.http.post("/graphql", content=body, headers=headers)
    assert response.status_code < 500, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _refusals(answer: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in answer["errors"]]


@pytest.mark.parametrize("text", UNFIT)
async def test_unfit_text_in_a_variable_is_invalid_for_mutations_and_queries(
    gql, services, tenant, enroll, path, text
):
    # given a tenant with one member holding 10 points
    member_id = await enroll(tenant, points=10)
    before = await gql(COUNT, token=tenant.secret_key)
    secret = tenant.secret_key

    # when unfit text is sent in several fields of several operations
    answers = {
        "enroll": await _post(gql, ENROLL, {"input": {"externalId": text}}, secret),
        "adjust": await _post(
            gql, ADJUST, {"input": {"memberId": member_id, "points": 5, "reason": text}}, secret
        ),
        "update": await _post(
            gql, UPDATE_MEMBER, {"input": {"id": member_id, "name": text}}, secret
        ),
        "order": await _post(gql, RECORD, {"input": order(text, member_id, ("a", 1, 500))}, secret),
        "member": await _post(gql, MEMBER, {"externalId": text}, secret),
        "search": await _post(gql, SEARCH, {"filter": {"search": text}}, secret),
        "login": await _post(gql, LOGIN, {"input": {"email": text, "password": "x"}}),
    }

    # then each is refused as INVALID on the variable's path, and nothing was written
    assert {name: _refusals(a) for name, a in answers.items()} == {
        "enroll": [("INVALID", ["input", "externalId"])],
        "adjust": [("INVALID", ["input", "reason"])],
        "update": [("INVALID", ["input", "name"])],
        "order": [("INVALID", ["input", "orderId"])],
        "member": [("INVALID", ["externalId"])],
        "search": [("INVALID", ["filter", "search"])],
        "login": [("INVALID", ["input", "email"])],
    }
    assert all(a.get("data") is None for a in answers.values())
    assert await gql(COUNT, token=secret) == before
    await assert_ledger_matches_balances(services, tenant)


async def test_unfit_text_deep_in_a_list_is_refused_with_its_path(gql, tenant, enroll, path):
    # given a member
    member_id = await enroll(tenant)

    # when the second line of an order carries a NUL in its sku
    body = order("o-1", member_id, ("a", 1, 500), ("b\x00", 1, 500))
    answer = await _post(gql, RECORD, {"input": body}, tenant.secret_key)

    # then the refusal points at that line's sku
    assert _refusals(answer) == [("INVALID", ["input", "lines", "1", "sku"])]


@pytest.mark.parametrize(
    "literal", ['"shop\\u0000per"', '"""shop\x00per"""'], ids=["escape", "block"]
)
async def test_a_nul_in_a_literal_of_the_document_is_invalid(gql, tenant, path, literal):
    # given a tenant
    before = await gql(COUNT, token=tenant.secret_key)

    # when the document itself holds a NUL in a mutation's and a query's string literal
    enrolled = await _post(gql, ENROLL_LITERAL % literal, {}, tenant.secret_key)
    searched = await _post(gql, SEARCH_LITERAL % literal, {}, tenant.secret_key)

    # then both documents are refused as INVALID, and nothing was written
    assert [e["extensions"]["code"] for e in enrolled["errors"]] == ["INVALID"]
    assert [e["extensions"]["code"] for e in searched["errors"]] == ["INVALID"]
    assert await gql(COUNT, token=tenant.secret_key) == before


async def test_a_lone_surrogate_in_a_literal_is_a_syntax_error(gql, tenant: TenantKit):
    # given a tenant
    # when the document escapes a lone surrogate in a literal
    answer = await _post(gql, ENROLL_LITERAL % '"shop\\ud800per"', {}, tenant.secret_key)

    # then the document does not parse: a GraphQL error, not an unexpected one
    assert "Invalid Unicode escape sequence" in answer["errors"][0]["message"]


async def test_text_with_other_characters_is_accepted(gql, tenant, path):
    # given a tenant
    # when text holds emoji, accents, a tab and a paired surrogate's character
    answer = await _post(
        gql, ENROLL, {"input": {"externalId": "ché\t🎉-shopper"}}, tenant.secret_key
    )

    # then it is enrolled as sent
    assert answer["data"]["enrollMember"]["errors"] == []
    assert answer["data"]["enrollMember"]["member"]["externalId"] == "ché\t🎉-shopper"


async def _post_body(gql: GraphQLClient, body: dict[str, Any], token: str) -> dict[str, Any]:
    headers = {"content-type": "application/json", "Authorization": f"Bearer {token}"}
    response = await gql.http.post("/graphql", content=json.dumps(body).encode(), headers=headers)
    assert response.status_code < 500, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"query": ENROLL, "variables": {"input": {"externalId": "a", "\ud800": 1}}},
            id="input-field-name",
        ),
        pytest.param({"query": COUNT, "variables": {"\ud800": 1}}, id="variable-name"),
        pytest.param({"query": COUNT, "operationName": "\ud800"}, id="operation-name"),
        pytest.param({"query": COUNT, "operationName": "Count\x00"}, id="operation-name-nul"),
        pytest.param({"query": COUNT + " # \ud800"}, id="document-comment"),
    ],
)
async def test_unfit_text_anywhere_else_in_a_request_is_invalid_not_a_crash(gql, tenant, body):
    # given a request whose names or document hold unfit text, which an error message
    # would echo into an answer that cannot be encoded
    # when it is sent
    answer = await _post_body(gql, body, tenant.secret_key)

    # then it is answered, refused as INVALID
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["INVALID"]
