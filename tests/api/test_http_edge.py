"""Given requests an attacker shapes at the HTTP edge (bodies too large or not JSON objects,
documents too long, query strings too long, requests refused before they run, an
exception nobody expected), when they reach the app, then each is answered as GraphQL JSON
with a typed code and the request id (header and `extensions.requestId`), never a
plain-text error and never a read of more than the limit."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from api.http.app import create_app
from api.services import Services
from tests.support.gql import GraphQLClient, TenantKit

PROGRAM = """
query Program { program { name } }
"""

TWO_OPERATIONS = """
query First { program { name } }
query Second { program { name } }
"""

UNKNOWN_FIELD = """
query Unknown { program { nope } }
"""

NEEDS_A_VARIABLE = """
query MemberByExternalId($externalId: String!) { member(externalId: $externalId) { id } }
"""

SYNTAX_ERROR = "query { program { name "

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
CHUNK = 64 * 1024


def _auth(kit: TenantKit) -> dict[str, str]:
    return {"Authorization": f"Bearer {kit.secret_key}"}


def _json(kit: TenantKit) -> dict[str, str]:
    return {**_auth(kit), "Content-Type": "application/json"}


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error of a request refused with `status` and `code`: JSON, the request id in
    the header and in the error, and no `data` key."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    request_id = response.headers["x-request-id"]
    assert REQUEST_ID.match(request_id)
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "requestId": request_id}, error
    return dict(error)


def request_error(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a request error: HTTP 200, a request id, errors, no `data` key."""
    assert response.status_code == 200, response.text
    assert REQUEST_ID.match(response.headers["x-request-id"])
    body = response.json()
    assert "data" not in body, body
    errors: list[dict[str, Any]] = body["errors"]
    assert errors
    return errors


@asynccontextmanager
async def app_with(services: Services, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the same database and Redis, with other settings."""
    changed = dataclasses.replace(services, settings=services.settings.model_copy(update=settings))
    transport = httpx.ASGITransport(app=create_app(services=changed))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


class CountedBody:
    """A request body sent in chunks of 64 KiB, counting how many the server asked for."""

    def __init__(self, chunks: int, first: bytes = b'{"query": "') -> None:
        self.chunks = chunks
        self.first = first
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(self.chunks):
            self.read += 1
            yield (self.first + b" " * (CHUNK - len(self.first))) if i == 0 else b" " * CHUNK


# --- body size ------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413_and_read_no_further(
    gql: GraphQLClient, tenant: TenantKit, settings
):
    # given a body of 4 MiB, four times the limit, streamed without a Content-Length
    assert settings.max_body_bytes == 1024 * 1024
    body = CountedBody(chunks=64)

    # when it is posted
    response = await gql.http.post("/graphql", content=body, headers=_json(tenant))

    # then it is refused as too large, and reading stopped at the limit
    error = refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert "1048576 bytes" in error["message"]
    assert body.read == settings.max_body_bytes // CHUNK + 1


async def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(
    gql: GraphQLClient, tenant: TenantKit, settings
):
    # given a body that says it is one byte over the limit
    body = CountedBody(chunks=17)
    headers = {**_json(tenant), "Content-Length": str(settings.max_body_bytes + 1)}

    # when it is posted
    response = await gql.http.post("/graphql", content=body, headers=headers)

    # then it is refused at once, unread
    refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert body.read == 0


async def test_a_body_just_under_the_limit_is_served(
    gql: GraphQLClient, tenant: TenantKit, settings
):
    # given a query padded with whitespace up to the limit (the control for the tests above)
    operation = orjson.dumps({"query": PROGRAM})
    padded = operation + b" " * (settings.max_body_bytes - len(operation))

    # when it is posted
    response = await gql.http.post("/graphql", content=padded, headers=_json(tenant))

    # then it runs
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}


async def test_a_body_over_the_limit_is_refused_whatever_its_content_type(
    gql: GraphQLClient, tenant: TenantKit, settings
):
    # given a large body of a type the fast path does not read
    body = b"x" * (settings.max_body_bytes + 1)

    # when it is posted as text, or as JSON asking for a streamed answer
    as_text = await gql.http.post(
        "/graphql", content=body, headers={**_auth(tenant), "Content-Type": "text/plain"}
    )
    streamed = await gql.http.post(
        "/graphql", content=body, headers={**_json(tenant), "Accept": "multipart/mixed"}
    )

    # then both are refused as too large
    refused(as_text, 413, "PAYLOAD_TOO_LARGE")
    refused(streamed, 413, "PAYLOAD_TOO_LARGE")


async def test_a_query_string_over_the_limit_is_refused(services: Services, tenant: TenantKit):
    # given an app whose limit is 4 KiB, and a GET carrying a longer document
    async with app_with(services, max_body_bytes=4096) as http:
        long = "query Long { program { name } }" + " " * 4096

        # when it is sent, and a short one
        response = await http.get("/graphql", params={"query": long}, headers=_auth(tenant))
        short = await http.get("/graphql", params={"query": PROGRAM}, headers=_auth(tenant))

    # then only the long one is refused
    refused(response, 414, "PAYLOAD_TOO_LARGE")
    assert short.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}


# --- document length ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_document_over_the_length_limit_is_refused_before_it_is_parsed(
    services: Services, tenant: TenantKit, method: str
):
    # given an app that takes documents of up to 1,000 characters
    async with app_with(services, max_query_length=1000) as http:
        at_limit = PROGRAM + " " * (1000 - len(PROGRAM))
        over = at_limit + "#"

        # when a document of the limit and one a character longer are sent
        async def send(query: str) -> httpx.Response:
            if method == "GET":
                return await http.get("/graphql", params={"query": query}, headers=_auth(tenant))
            return await http.post("/graphql", json={"query": query}, headers=_auth(tenant))

        within = await send(at_limit)
        beyond = await send(over)

    # then only the longer one is refused, with its own code
    assert within.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}
    error = refused(beyond, 413, "QUERY_TOO_LARGE")
    assert "1000 characters" in error["message"]


async def test_the_default_document_length_is_bounded(
    gql: GraphQLClient, tenant: TenantKit, settings
):
    # given a document a character over the default limit (a long comment: few tokens)
    query = PROGRAM + "#" + "x" * settings.max_query_length

    # when it is posted
    response = await gql.http.post("/graphql", json={"query": query}, headers=_auth(tenant))

    # then it is refused
    refused(response, 413, "QUERY_TOO_LARGE")


# --- bodies that are not a JSON object ------------------------------------------------------

NOT_OBJECTS = {
    "null": b"null",
    "number": b"42",
    "string": b'"x"',
    "boolean": b"true",
    "invalid-utf8": b'{"query": "query { program { name } }\xff\xfe"}',
    "not-json": b"{",
    "arrays-1024-deep": b"[" * 1024 + b"]" * 1024,
    "arrays-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    "variables-1024-deep": b'{"query": "{ program { name } }", "variables": {"a": '
    + b"[" * 1024
    + b"]" * 1024
    + b"}}",
}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
@pytest.mark.parametrize("shape", sorted(NOT_OBJECTS))
async def test_a_body_that_is_not_a_json_object_is_a_400(
    gql: GraphQLClient, tenant: TenantKit, shape: str, content_type: str
):
    # given a body that is not a JSON object
    body = NOT_OBJECTS[shape]

    # when it is posted as JSON
    response = await gql.http.post(
        "/graphql", content=body, headers={**_auth(tenant), "Content-Type": content_type}
    )

    # then it is refused as a bad request
    refused(response, 400, "BAD_REQUEST")


async def test_an_escaped_lone_surrogate_is_read_and_left_to_input_validation(
    gql: GraphQLClient, tenant: TenantKit
):
    # given a body whose variable is an escaped lone surrogate: JSON's grammar allows it,
    # orjson refuses it, and input validation is where a string is judged
    body = (
        b'{"query": "query N($id: ID!) { node(id: $id) { id } }", "variables": {"id": "\\ud800"}}'
    )

    # when it is posted
    response = await gql.http.post("/graphql", content=body, headers=_json(tenant))

    # then it is not refused as unreadable JSON: the variables were read, and input
    # validation refused the id as unfit text (api/schema/common/text_inputs.py)
    body_out = response.json()
    assert response.status_code < 500, response.text
    assert [e["extensions"]["code"] for e in body_out["errors"]] == ["INVALID"], body_out


async def test_deeply_nested_variables_in_a_get_are_a_400(gql: GraphQLClient, tenant: TenantKit):
    # given a GET whose variables nest 1,024 arrays deep (the standard library's json would
    # recurse until RecursionError)
    variables = '{"a": ' + "[" * 1024 + "]" * 1024 + "}"

    # when it is sent
    response = await gql.http.get(
        "/graphql",
        params={"query": PROGRAM, "variables": variables},
        headers={**_auth(tenant), "Accept": "application/json"},
    )

    # then it is refused as a bad request
    refused(response, 400, "BAD_REQUEST")


async def test_a_batch_is_refused_as_json(gql: GraphQLClient, tenant: TenantKit):
    # given batching is off
    # when a list of operations, or an empty list, is posted
    batch = await gql.http.post("/graphql", json=[{"query": PROGRAM}], headers=_auth(tenant))
    empty = await gql.http.post("/graphql", json=[], headers=_auth(tenant))

    # then both are refused as bad requests, in JSON
    assert "Batching" in refused(batch, 400, "BAD_REQUEST")["message"]
    refused(empty, 400, "BAD_REQUEST")


# --- request errors -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize(
    "case",
    [
        ("validation", UNKNOWN_FIELD, None, "GRAPHQL_VALIDATION_FAILED"),
        ("syntax", SYNTAX_ERROR, None, "GRAPHQL_PARSE_FAILED"),
        ("missing-variable", NEEDS_A_VARIABLE, None, "BAD_USER_INPUT"),
        ("wrong-variable", NEEDS_A_VARIABLE, {"externalId": 42}, "BAD_USER_INPUT"),
    ],
    ids=lambda case: case[0],
)
async def test_a_request_error_has_no_data_key_and_a_code(
    gql: GraphQLClient, tenant: TenantKit, method: str, case: tuple[str, str, Any, str]
):
    # given a document that cannot run: invalid, unparsable, or with bad variables
    _, query, variables, code = case

    # when it is sent, on the fast path (POST) and through strawberry's view (GET)
    if method == "POST":
        response = await gql.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=_auth(tenant)
        )
    else:
        params = {"query": query}
        if variables is not None:
            params["variables"] = orjson.dumps(variables).decode()
        response = await gql.http.get("/graphql", params=params, headers=_auth(tenant))

    # then the answer is the errors alone, as GraphQL over HTTP says of request errors, each
    # with its code and the request id
    request_id = response.headers["x-request-id"]
    for error in request_error(response):
        assert error["extensions"] == {"code": code, "requestId": request_id}, error


async def test_a_field_error_keeps_its_data(gql: GraphQLClient, tenant: TenantKit):
    # given a query that runs and fails at one field (the control for the test above): a
    # malformed id is refused at its field
    query = 'query { program { name } node(id: "not-an-id") { id } }'

    # when it is sent
    response = await gql.http.post("/graphql", json={"query": query}, headers=_auth(tenant))

    # then the data is there, with the error at its path
    body = response.json()
    assert body["data"]["program"] == {"name": f"Shop {tenant.slug}"}, body
    assert body["errors"][0]["path"] == ["node"]


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_two_operations_without_an_operation_name_are_refused(
    gql: GraphQLClient, tenant: TenantKit, method: str
):
    # given a document of two operations
    # when it is sent without naming one
    if method == "GET":
        response = await gql.http.get(
            "/graphql", params={"query": TWO_OPERATIONS}, headers=_auth(tenant)
        )
    else:
        response = await gql.http.post(
            "/graphql", json={"query": TWO_OPERATIONS}, headers=_auth(tenant)
        )

    # then it is refused, and naming one runs it
    assert "operationName" in refused(response, 400, "BAD_REQUEST")["message"]
    named = await gql.http.get(
        "/graphql",
        params={"query": TWO_OPERATIONS, "operationName": "Second"},
        headers=_auth(tenant),
    )
    assert named.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}


async def test_a_mutation_over_get_is_refused_as_json(gql: GraphQLClient, tenant: TenantKit):
    # given a mutation
    query = 'mutation { enrollMember(input: {externalId: "x"}) { member { id } } }'

    # when it is sent over GET
    response = await gql.http.get("/graphql", params={"query": query}, headers=_auth(tenant))

    # then it is refused as a bad request, in JSON
    assert "mutations are not allowed" in refused(response, 400, "BAD_REQUEST")["message"]


# --- the last resort ------------------------------------------------------------------------


class Exploding:
    async def __call__(self, *args: Any) -> None:
        raise RuntimeError("a bug nobody caught: secret internals")


async def test_an_unexpected_exception_anywhere_is_a_json_500_with_the_request_id(
    services: Services, caplog
):
    # given an app whose GraphQL endpoint raises an exception nobody handles
    app = create_app(services=services)
    app.state.graphql = Exploding()
    transport = httpx.ASGITransport(app=app)

    # when a request reaches it
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/graphql", json={"query": PROGRAM})

    # then it is answered as a masked INTERNAL error, logged under its request id
    error = refused(response, 500, "INTERNAL")
    assert error["message"] == "Unexpected error."
    assert "secret internals" not in response.text
    request_id = response.headers["x-request-id"]
    assert [r for r in caplog.records if request_id in r.getMessage() and r.exc_info]


async def test_a_method_the_route_does_not_take_is_answered_in_json(gql: GraphQLClient):
    # given /graphql takes GET and POST
    # when it is sent a PUT
    response = await gql.http.put("/graphql", json={"query": PROGRAM})

    # then the refusal is JSON with a code
    refused(response, 405, "METHOD_NOT_ALLOWED")


# --- the document cache ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_public_callers_documents_are_cached_apart_from_trusted_ones(
    services: Services, tenant: TenantKit, method: str
):
    # given the app in development, where every caller runs the privileged schema
    changed = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"environment": "development"})
    )
    app = create_app(services=changed)
    documents = app.state.graphql._privileged.schema.documents
    public = f"query Public{method} {{ program {{ name }} }}"
    trusted = f"query Trusted{method} {{ program {{ name }} }}"

    # when a publishable key and a secret key each send a document never seen
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        for query, key in ((public, tenant.publishable_key), (trusted, tenant.secret_key)):
            headers = {"Authorization": f"Bearer {key}"}
            if method == "GET":
                response = await http.get("/graphql", params={"query": query}, headers=headers)
            else:
                response = await http.post("/graphql", json={"query": query}, headers=headers)
            assert response.json()["data"]["program"]["name"] == f"Shop {tenant.slug}"

    # then the publishable key's is kept in the untrusted pool, the secret key's in the other
    assert public in documents.untrusted and public not in documents.trusted
    assert trusted in documents.trusted and trusted not in documents.untrusted
