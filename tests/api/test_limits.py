"""Given documents that are too big, too deep, batched, sent over GET or probing the schema,
when they reach /graphql, then they are refused with a GraphQL error and a status below 500;
introspection and suggestions are for privileged callers only; unexpected errors are masked;
and every response carries an X-Request-Id."""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from persistence.member_names import PgMemberNames
from tests.conftest import ENROLL
from tests.support.gql import GraphQLClient, TenantKit

PROGRAM = """
query Program { program { name } }
"""

INTROSPECT_SCHEMA = """
query Introspect { __schema { queryType { name } mutationType { name } } }
"""

INTROSPECT_TYPE = """
query IntrospectType { __type(name: "Member") { name fields { name } } }
"""

NESTED_WITHIN_LIMITS = """
query Nested {
  members(first: 5) { nodes { id history(first: 5) { edges { node { id points } } } } }
}
"""

# The schema has no cycle outside introspection (whose fields the depth limit skips), so no
# valid document nests past the limit: an over-deep one also names unknown fields. The depth
# check runs whatever the fields are, and is the guard for the day a cycle is added.
TOO_DEEP = """
query TooDeep {
  members { edges { node { history { edges { node {
    a { b { c { d { e { f { g { h } } } } } } }
  } } } } } }
}
"""

TOO_DEEP_THROUGH_FRAGMENTS = """
query TooDeepThroughFragments { ...OnQuery }
fragment OnQuery on Query { members { edges { node { ...OnMember } } } }
fragment OnMember on Member { history { edges { node { ...OnEntry } } } }
fragment OnEntry on LedgerEntry { a { b { c { d { e { f { g } } } } } } }
"""

MEMBER_BY_EXTERNAL_ID = """
query MemberByExternalId($externalId: String!) { member(externalId: $externalId) { id } }
"""

UNDEFINED_FRAGMENT = """
query UsesUndefinedFragment { program { ...Missing } }
"""

UNDEFINED_ROOT_FRAGMENT = """
query UsesUndefinedRootFragment { ...Missing }
"""

ISSUE_MEMBER_TOKEN = """
mutation IssueMemberToken($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code } }
}
"""

ENROLL_LITERAL = """
mutation EnrollOverGet { enrollMember(input: {externalId: "%s"}) { member { id } } }
"""

# Each is wrong in a way graphql-core would answer with "Did you mean ...?".
MISSPELLED = {
    "field": ("query { program { nam } }", {}),
    "argument": ("query { members(frist: 1) { nodes { id } } }", {}),
    "type-condition": ("query { ... on Quer { program { name } } }", {}),
    "variable-type": ("query Q($x: Strin) { program { name } }", {}),
    "enum-literal": ("mutation { createApiKey(input: {kind: SECRETT}) { key } }", {}),
    "enum-variable": (
        "mutation K($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
        {"i": {"kind": "SECRETT"}},
    ),
    "input-field-literal": (
        'mutation { adjustPoints(input: {memberId: "x", pointz: 1, points: 1}) { replayed } }',
        {},
    ),
    "input-field-variable": (
        "mutation A($i: AdjustPointsInput!) { adjustPoints(input: $i) { replayed } }",
        {"i": {"memberId": "x", "pointz": 1, "points": 1}},
    ),
}

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def doubling_fragments(levels: int, leaf: str) -> str:
    """A document whose fragments each spread the next one twice: a few tokens per level,
    2^levels paths through it."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ {leaf} }}")
    return "query Doubling { ...F0 }\n" + "\n".join(fragments)


# --- helpers --------------------------------------------------------------------------------


def _request_id(response: httpx.Response) -> str:
    request_id = response.headers.get("x-request-id", "")
    assert REQUEST_ID.match(request_id), (response.status_code, dict(response.headers))
    return request_id


def _refused(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a refused document: a status below 500, a request id, no data."""
    assert response.status_code < 500, response.text
    _request_id(response)
    body = response.json()
    assert body.get("data") is None, body
    errors: list[dict[str, Any]] = body["errors"]
    assert errors
    return errors


def _messages(errors: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in errors]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def shop(gql: GraphQLClient, make_tenant: Any) -> tuple[TenantKit, str]:
    """A tenant with one member, and a member token for that member."""
    kit: TenantKit = await make_tenant()
    enrolled = await gql(ENROLL, {"input": {"externalId": "limits"}}, token=kit.secret_key)
    member_id = enrolled["enrollMember"]["member"]["id"]
    issued = await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}, token=kit.secret_key)
    token: str = issued["issueMemberToken"]["token"]
    return kit, token


def _credential(shop: tuple[TenantKit, str], who: str) -> dict[str, str]:
    kit, member_token = shop
    return {
        "anonymous": {},
        "publishable-key": _auth(kit.publishable_key),
        "member-token": _auth(member_token),
        "secret-key": _auth(kit.secret_key),
        "operator": _auth(kit.operator_token),
        "operator-with-tenant": {**_auth(kit.operator_token), "X-Tenant": kit.slug},
    }[who]


@contextlib.contextmanager
def _fails_instead_of_hanging(seconds: int) -> Iterator[None]:
    """Work that never yields to the event loop cannot be timed out by asyncio: an alarm
    interrupts it, again each second until the block ends (strawberry turns the exception
    into an error response and the next request would run on), so a regression fails the
    test instead of hanging the suite."""

    def interrupt(signum: int, frame: object) -> None:
        signal.alarm(1)
        raise TimeoutError(f"still working after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


async def _post(gql: GraphQLClient, query: str, headers: dict[str, str], **variables: Any):
    return await gql.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


# --- size and shape limits ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["publishable-key", "secret-key"])
async def test_an_over_deep_document_is_refused(gql, shop, settings, who):
    # given a document nested deeper than the limit
    # when it is sent
    response = await _post(gql, TOO_DEEP, _credential(shop, who))

    # then the depth limit refuses it
    messages = _messages(_refused(response))
    assert f"exceeds maximum operation depth of {settings.max_query_depth}" in " ".join(messages)


async def test_depth_reached_through_fragments_is_refused(gql, shop, settings):
    # given a document that nests past the limit only across its fragments
    # when it is sent
    response = await _post(gql, TOO_DEEP_THROUGH_FRAGMENTS, _credential(shop, "publishable-key"))

    # then the depth limit sees through the spreads
    messages = _messages(_refused(response))
    expected = (
        f"'TooDeepThroughFragments' exceeds maximum operation depth of {settings.max_query_depth}"
    )
    assert expected in messages


async def test_fragments_spread_twice_over_are_measured_without_walking_every_path(
    gql, shop, settings
):
    # given a few hundred tokens of fragments with 2^60 paths through them: walking each
    # path, as strawberry's depth and alias limiters do, would take longer than the universe
    headers = _credential(shop, "publishable-key")
    kit, _ = shop

    # when it is sent, plain and with an alias at the bottom
    with _fails_instead_of_hanging(20):
        plain = await _post(gql, doubling_fragments(60, "program { name }"), headers)
        aliased = await _post(gql, doubling_fragments(60, "p: program { name }"), headers)

    # then the plain one runs (its fields merge into one), and the alias counts once per
    # path, which is how often it would run
    assert plain.status_code == 200
    assert plain.json() == {"data": {"program": {"name": f"Shop {kit.slug}"}}}
    assert _messages(_refused(aliased)) == [
        f"{2**60} aliases found. Allowed: {settings.max_aliases}"
    ]


async def test_aliases_in_a_fragment_count_at_every_spread(gql, shop, settings):
    # given an alias spread 2^3 times, and one spread 2^4 times
    headers = _credential(shop, "publishable-key")
    assert 2**3 <= settings.max_aliases < 2**4

    # when each is sent
    within = await _post(gql, doubling_fragments(3, "p: program { name }"), headers)
    beyond = await _post(gql, doubling_fragments(4, "p: program { name }"), headers)

    # then only the one past the limit is refused
    assert within.json()["data"]["p"]["name"]
    assert _messages(_refused(beyond)) == [f"16 aliases found. Allowed: {settings.max_aliases}"]


async def test_a_nested_document_within_the_depth_limit_runs(gql, shop):
    kit, _ = shop

    data = await gql(NESTED_WITHIN_LIMITS, token=kit.secret_key)

    assert len(data["members"]["nodes"]) == 1


@pytest.mark.parametrize("who", ["publishable-key", "secret-key"])
async def test_a_document_with_too_many_aliases_is_refused(gql, shop, settings, who):
    # given one alias more than allowed, and exactly as many as allowed
    many = settings.max_aliases + 1
    too_many = "query { " + " ".join(f"a{i}: program {{ name }}" for i in range(many)) + " }"
    enough = "query { " + " ".join(f"a{i}: program {{ name }}" for i in range(many - 1)) + " }"

    # when each is sent
    refused = await _post(gql, too_many, _credential(shop, who))
    allowed = await _post(gql, enough, _credential(shop, who))

    # then only the one past the limit is refused
    assert _messages(_refused(refused)) == [f"{many} aliases found. Allowed: {many - 1}"]
    assert allowed.status_code == 200
    assert len(allowed.json()["data"]) == many - 1


PAGES_OF_PAGES = """
query PagesOfPages {
  members(first: SIZE) {
    nodes { a: history(first: SIZE) { nodes { id } } b: history(first: SIZE) { nodes { id } } }
  }
}
"""

PAGES_OF_VARIABLE_PAGES = """
query VariablePages($first: Int) {
  members(first: $first) {
    nodes { a: history(first: $first) { nodes { id } } b: history(first: $first) { nodes { id } } }
  }
}
"""


async def test_nested_pages_multiply_into_a_cost_that_is_limited(gql, shop, settings):
    # given pages of 100 members with two pages of 100 entries each (cost
    # 100 x (1 + 1 + 2 x 100 x 2)), and the same with pages of 50 (50 x (1 + 1 + 2 x 50 x 2))
    kit, _ = shop
    headers = _auth(kit.secret_key)
    assert 50 * 202 <= settings.max_query_cost < 100 * 402

    # when each is sent
    large = await _post(gql, PAGES_OF_PAGES.replace("SIZE", "100"), headers)
    small = await _post(gql, PAGES_OF_PAGES.replace("SIZE", "50"), headers)

    # then only the large one is refused, with its estimate
    assert _messages(_refused(large)) == [
        f"'PagesOfPages' has an estimated cost of 40200; the limit is {settings.max_query_cost}"
    ]
    assert small.status_code == 200
    assert len(small.json()["data"]["members"]["nodes"]) == 1
    assert small.json()["data"]["members"]["nodes"][0]["a"] == {"nodes": []}


async def test_a_page_size_given_as_a_variable_counts_as_the_largest_page(gql, shop, settings):
    # given nested pages whose size is a variable, known only after validation
    kit, _ = shop

    # when they are sent with a small size
    response = await _post(gql, PAGES_OF_VARIABLE_PAGES, _auth(kit.secret_key), first=2)

    # then they are measured as pages of the largest size
    size = settings.max_page_size
    estimate = size * (2 + 2 * size * 2)
    assert _messages(_refused(response)) == [
        f"'VariablePages' has an estimated cost of {estimate}; "
        f"the limit is {settings.max_query_cost}"
    ]


@pytest.mark.parametrize("who", ["publishable-key", "secret-key"])
async def test_a_document_with_too_many_tokens_is_refused(gql, shop, settings, who):
    # given a document of more tokens than allowed, and a short one of the same shape (not
    # near the limit: repeating one field a thousand times trips graphql-core's own budget
    # for comparing overlapping fields, a guard of its own)
    too_long = "query { program { " + "name " * settings.max_tokens + "} }"
    short = "query { program { " + "name " * 50 + "} }"

    # when each is sent
    refused = await _post(gql, too_long, _credential(shop, who))
    allowed = await _post(gql, short, _credential(shop, who))

    # then the long one is refused before it is parsed to the end
    [message] = _messages(_refused(refused))
    assert f"Document contains more than {settings.max_tokens} tokens" in message
    assert allowed.status_code == 200
    assert allowed.json()["data"]["program"]["name"]


@pytest.mark.parametrize("query", [UNDEFINED_FRAGMENT, UNDEFINED_ROOT_FRAGMENT])
@pytest.mark.parametrize("who", ["publishable-key", "secret-key"])
async def test_a_spread_of_an_undefined_fragment_is_a_validation_error(gql, shop, who, query):
    # given a document that spreads a fragment it never defines
    # when it is sent
    response = await _post(gql, query, _credential(shop, who))

    # then it is refused as GraphQL says, not with the text of an internal exception
    messages = _messages(_refused(response))
    assert "Unknown fragment 'Missing'." in messages
    assert "'Missing'" not in messages


# --- introspection and suggestions ----------------------------------------------------------


@pytest.mark.parametrize("query", [INTROSPECT_SCHEMA, INTROSPECT_TYPE])
@pytest.mark.parametrize("who", ["anonymous", "publishable-key", "member-token"])
async def test_introspection_is_refused_to_public_callers_in_production(
    gql, shop, settings, who, query
):
    # given the app in production, and a caller that is not privileged
    assert settings.production

    # when it introspects
    response = await _post(gql, query, _credential(shop, who))

    # then it is refused
    messages = _messages(_refused(response))
    assert all("introspection has been disabled" in m for m in messages), messages


@pytest.mark.parametrize("who", ["secret-key", "operator", "operator-with-tenant"])
async def test_introspection_is_allowed_to_secret_keys_and_operators(gql, shop, who):
    # given a privileged caller
    # when it introspects
    response = await _post(gql, INTROSPECT_SCHEMA, _credential(shop, who))
    typed = await _post(gql, INTROSPECT_TYPE, _credential(shop, who))

    # then it gets the schema
    assert response.status_code == 200
    assert response.json() == {
        "data": {"__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}}
    }
    fields = {f["name"] for f in typed.json()["data"]["__type"]["fields"]}
    assert {"id", "externalId", "points", "history"} <= fields


@pytest.mark.parametrize("mistake", sorted(MISSPELLED))
@pytest.mark.parametrize("who", ["publishable-key", "member-token", "anonymous"])
async def test_public_callers_get_no_suggestions(gql, shop, who, mistake):
    # given a document with a misspelling graphql-core would suggest a fix for
    query, variables = MISSPELLED[mistake]

    # when a caller who may not introspect sends it
    response = await _post(gql, query, _credential(shop, who), **variables)

    # then it is refused without naming what the schema does have
    messages = _messages(_refused(response))
    assert not [m for m in messages if "Did you mean" in m], messages


@pytest.mark.parametrize("mistake", ["field", "argument", "enum-literal"])
async def test_privileged_callers_do_get_suggestions(gql, shop, mistake):
    # given the same misspellings (the control for the test above)
    query, variables = MISSPELLED[mistake]

    # when a secret key sends one
    response = await _post(gql, query, _credential(shop, "secret-key"), **variables)

    # then the error suggests the right name
    assert any("Did you mean" in m for m in _messages(_refused(response)))


# --- transport: GET and batching ------------------------------------------------------------


async def test_a_mutation_over_get_is_refused_and_writes_nothing(gql, shop):
    # given a secret key and an enrolment document
    kit, _ = shop
    external_id = "over-get-" + uuid.uuid4().hex

    # when the mutation is sent over GET
    response = await gql.http.get(
        "/graphql", params={"query": ENROLL_LITERAL % external_id}, headers=_auth(kit.secret_key)
    )

    # then it is refused, and no member was enrolled
    assert 400 <= response.status_code < 500, response.text
    _request_id(response)
    assert "mutation" in response.text.lower()
    found = await gql(MEMBER_BY_EXTERNAL_ID, {"externalId": external_id}, token=kit.secret_key)
    assert found["member"] is None


async def test_a_query_over_get_is_served(gql, shop):
    # given the publishable key (the control for the test above)
    kit, _ = shop

    # when a query is sent over GET
    response = await gql.http.get(
        "/graphql", params={"query": PROGRAM}, headers=_auth(kit.publishable_key)
    )

    # then it is answered
    assert response.status_code == 200
    _request_id(response)
    assert response.json()["data"]["program"]["name"] == f"Shop {kit.slug}"


async def test_a_batch_of_operations_is_refused_and_runs_none(gql, shop):
    # given two enrolments in one JSON list
    kit, _ = shop
    ids = ["batch-" + uuid.uuid4().hex for _ in range(2)]
    batch = [{"query": ENROLL, "variables": {"input": {"externalId": i}}} for i in ids]

    # when the list is posted
    response = await gql.http.post("/graphql", json=batch, headers=_auth(kit.secret_key))

    # then it is refused, and neither ran
    assert 400 <= response.status_code < 500, response.text
    _request_id(response)
    assert "batch" in response.text.lower()
    for external_id in ids:
        found = await gql(MEMBER_BY_EXTERNAL_ID, {"externalId": external_id}, token=kit.secret_key)
        assert found["member"] is None


# --- masking and request ids ----------------------------------------------------------------


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    gql, shop, caplog, monkeypatch
):
    # given a lookup the database fails to run (the text inputs are refused before they
    # reach it since NUL is refused at the edge, so the failure is raised where the query
    # would be: PostgreSQL's own error for a NUL in text)
    kit, _ = shop

    async def unrunnable(*_args: Any, **_kwargs: Any) -> None:
        raise asyncpg.CharacterNotInRepertoireError(
            'invalid byte sequence for encoding "UTF8": 0x00'
        )

    monkeypatch.setattr(PgMemberNames, "by_external_id", unrunnable)

    # when it is sent
    with caplog.at_level(logging.ERROR, logger="loyalty.errors"):
        response = await _post(
            gql, MEMBER_BY_EXTERNAL_ID, _auth(kit.secret_key), externalId="cust-001"
        )

    # then the client sees a masked error carrying the request id of the response
    assert response.status_code == 200
    request_id = _request_id(response)
    body = response.json()
    assert body["data"] == {"member": None}
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    for leak in ("asyncpg", "UTF8", "0x00", "Traceback", "members", "SELECT"):
        assert leak not in response.text

    # and the server log has the cause under that request id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "CharacterNotInRepertoire" in type(logged[0].exc_info[1]).__name__


async def test_every_response_carries_its_own_request_id(gql, shop):
    # given requests that end every way a /graphql request can end
    kit, _ = shop
    http = gql.http
    secret = _auth(kit.secret_key)
    responses = {
        "ok": await _post(gql, PROGRAM, secret),
        "graphql-error": await _post(gql, "query { program { nope } }", secret),
        "syntax-error": await _post(gql, "query {", secret),
        "limit": await _post(gql, TOO_DEEP, secret),
        "no-query": await http.post("/graphql", json={"variables": {}}, headers=secret),
        "not-json": await http.post(
            "/graphql", content=b"{", headers={**secret, "Content-Type": "application/json"}
        ),
        "wrong-key": await _post(gql, PROGRAM, _auth("lp_sk_wrong")),
        "other-tenant": await _post(
            gql, PROGRAM, {**_auth(kit.operator_token), "X-Tenant": "not-mine"}
        ),
        "anonymous": await _post(gql, PROGRAM, {}),
        "get-query": await http.get("/graphql", params={"query": PROGRAM}, headers=secret),
        "get-mutation": await http.get(
            "/graphql", params={"query": ENROLL_LITERAL % "x"}, headers=secret
        ),
        "batch": await http.post("/graphql", json=[{"query": PROGRAM}], headers=secret),
    }

    # then each carries a request id, none shared, and none ends in a server error
    ids = {name: _request_id(r) for name, r in responses.items()}
    assert len(set(ids.values())) == len(ids)
    statuses = {name: r.status_code for name, r in responses.items()}
    assert all(s < 500 for s in statuses.values()), statuses
    assert statuses["ok"] == 200
    assert statuses["wrong-key"] == 401
    assert statuses["other-tenant"] == 403
    for name in ("wrong-key", "other-tenant"):
        assert responses[name].json()["errors"][0]["extensions"]["requestId"] == ids[name]
