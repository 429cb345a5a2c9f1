"""Given the documents in graphql/operations/, when a client names one by its sha256 (Apollo's
persisted-query protocol), then it runs exactly as its text would; an unknown hash, a hash
that is not the text's and an unsupported version are refused with their codes; and with
persisted queries required, any other document is refused before it runs, except for
operator sessions and in development."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.services import Services
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.persisted import app_with

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
ME = (OPERATIONS / "mobile" / "Me.graphql").read_text()
PROGRAM = (OPERATIONS / "storefront" / "Program.graphql").read_text()
ADJUST_POINTS = (OPERATIONS / "storefront" / "AdjustPoints.graphql").read_text()

AD_HOC_PROGRAM = """
query AdHocProgram { program { name } }
"""

INTROSPECT = """
query Introspect { __schema { queryType { name } } }
"""

ISSUE_MEMBER_TOKEN = """
mutation Issue($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code } }
}
"""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def by_hash(digest: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def _headers(token: str | None, tenant: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if tenant:
        headers["X-Tenant"] = tenant
    return headers


async def post(
    gql: GraphQLClient,
    body: dict[str, Any],
    token: str | None = None,
    tenant: str | None = None,
) -> httpx.Response:
    return await gql.http.post("/graphql", json=body, headers=_headers(token, tenant))


async def get(
    gql: GraphQLClient, params: dict[str, Any], token: str | None = None
) -> httpx.Response:
    query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    # Apollo Client's default Accept: a GET by hash must not be taken for a browser.
    headers = {"Accept": "*/*", **_headers(token)}
    return await gql.http.get("/graphql", params=query, headers=headers)


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The one error of a refused request, answered with HTTP 200 and no `data` key (a
    request error, as the GraphQL-over-HTTP specification says)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"].pop("requestId") == response.headers["x-request-id"]
    return dict(error)


async def member_token(gql: GraphQLClient, kit: TenantKit, enroll: Callable[..., Any]) -> str:
    member_id = await enroll(kit, points=40)
    data = await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}, token=kit.secret_key)
    assert data["issueMemberToken"]["errors"] == []
    token: str = data["issueMemberToken"]["token"]
    return token


# --- by hash --------------------------------------------------------------------------------


async def test_a_member_token_runs_me_by_its_hash(
    gql: GraphQLClient, tenant: TenantKit, enroll: Callable[..., Any]
):
    token = await member_token(gql, tenant, enroll)
    variables = {"historyFirst": 5}

    by_text = await post(gql, {"query": ME, "variables": variables}, token)
    named = await post(
        gql,
        {"extensions": by_hash(sha256(ME)), "variables": variables, "operationName": "Me"},
        token,
    )

    assert named.status_code == 200
    assert named.json() == by_text.json()
    assert named.json()["data"]["me"]["points"]["available"] == 40


async def test_the_text_with_its_own_hash_runs(gql: GraphQLClient, tenant: TenantKit):
    response = await post(
        gql,
        {"query": AD_HOC_PROGRAM, "extensions": by_hash(sha256(AD_HOC_PROGRAM))},
        tenant.secret_key,
    )

    assert response.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}


async def test_a_hash_that_is_not_the_texts_is_refused(gql: GraphQLClient, tenant: TenantKit):
    response = await post(
        gql, {"query": AD_HOC_PROGRAM, "extensions": by_hash(sha256(PROGRAM))}, tenant.secret_key
    )

    assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}


def not_found(response: httpx.Response) -> bool:
    """Apollo's answer to a hash it does not know, which its clients look for."""
    return refusal(response) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }


def ad_hoc(tag: str) -> str:
    """A document no one has sent before: its hash is new."""
    return f"query AdHoc{tag} {{ program {{ name }} }}"


async def test_apq_a_miss_then_the_text_registers_it_then_the_hash_alone_runs(
    gql: GraphQLClient, tenant: TenantKit
):
    text = ad_hoc(uuid.uuid4().hex)
    digest = sha256(text)
    expected = {"data": {"program": {"name": f"Shop {tenant.slug}"}}}

    # Given a hash the server does not know: Apollo's not-found, so the client sends the text
    miss = await post(gql, {"extensions": by_hash(digest)}, tenant.secret_key)
    # When the client sends the text with its hash
    registered = await post(gql, {"query": text, "extensions": by_hash(digest)}, tenant.secret_key)
    # Then the hash alone runs it, by POST and by GET
    hit = await post(gql, {"extensions": by_hash(digest)}, tenant.secret_key)
    over_get = await get(gql, {"extensions": by_hash(digest)}, tenant.secret_key)

    assert not_found(miss)
    for response in (registered, hit, over_get):
        assert response.json() == expected


async def test_apq_registrations_are_the_tenants_own(
    gql: GraphQLClient, make_tenant: Callable[..., Any]
):
    one, other = await make_tenant(), await make_tenant()
    text = ad_hoc(uuid.uuid4().hex)
    await post(gql, {"query": text, "extensions": by_hash(sha256(text))}, one.secret_key)

    response = await post(gql, {"extensions": by_hash(sha256(text))}, other.secret_key)

    assert not_found(response)


async def test_apq_a_tenant_keeps_a_bounded_number_dropping_the_oldest(
    services: Services, tenant: TenantKit
):
    texts = [ad_hoc(f"{uuid.uuid4().hex}N{n}") for n in range(3)]
    async with app_with(services, apq_max_documents=2) as bounded:
        for text in texts:
            body = {"query": text, "extensions": by_hash(sha256(text))}
            assert (await post(bounded, body, tenant.secret_key)).status_code == 200

    # Asked of another replica (this one remembers what it registered itself)
    async with app_with(services, apq_max_documents=2) as replica:
        found = [
            await post(replica, {"extensions": by_hash(sha256(t))}, tenant.secret_key)
            for t in texts
        ]

    assert not_found(found[0])
    assert [r.json()["data"]["program"]["name"] for r in found[1:]] == [f"Shop {tenant.slug}"] * 2


async def test_apq_a_replica_runs_what_another_registered_and_remembers_it(
    services: Services, tenant: TenantKit
):
    text = ad_hoc(uuid.uuid4().hex)
    expected = {"data": {"program": {"name": f"Shop {tenant.slug}"}}}
    async with app_with(services) as one:
        await post(one, {"query": text, "extensions": by_hash(sha256(text))}, tenant.secret_key)
    async with app_with(services) as other:
        first = await post(other, {"extensions": by_hash(sha256(text))}, tenant.secret_key)
        # Redis forgets the tenant's documents; this replica still has the text the hash names
        scope = tenant.id
        await services.redis.delete(f"{{apq:{scope}}}:texts", f"{{apq:{scope}}}:registered")
        again = await post(other, {"extensions": by_hash(sha256(text))}, tenant.secret_key)
    async with app_with(services) as third:
        elsewhere = await post(third, {"extensions": by_hash(sha256(text))}, tenant.secret_key)

    assert first.json() == again.json() == expected
    assert not_found(elsewhere)


async def test_apq_a_hash_that_is_not_the_texts_registers_nothing(
    gql: GraphQLClient, tenant: TenantKit
):
    text = ad_hoc(uuid.uuid4().hex)
    claimed = sha256(text + " ")

    refused = await post(gql, {"query": text, "extensions": by_hash(claimed)}, tenant.secret_key)
    later = await post(gql, {"extensions": by_hash(claimed)}, tenant.secret_key)

    assert refusal(refused)["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}
    assert not_found(later)


async def test_required_registers_nothing_and_runs_no_automatic_registration(
    gql: GraphQLClient, required: GraphQLClient, tenant: TenantKit
):
    # Given a document registered automatically while persisted queries were not required
    text = ad_hoc(uuid.uuid4().hex)
    await post(gql, {"query": text, "extensions": by_hash(sha256(text))}, tenant.secret_key)

    # When persisted queries are required, its hash is not found, and its text is refused
    by_id = await post(required, {"extensions": by_hash(sha256(text))}, tenant.secret_key)
    with_text = await post(
        required, {"query": text, "extensions": by_hash(sha256(text))}, tenant.secret_key
    )

    assert not_found(by_id)
    assert refusal(with_text)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
async def test_only_version_1_is_supported(gql: GraphQLClient, tenant: TenantKit, version: Any):
    response = await post(
        gql, {"extensions": by_hash(sha256(PROGRAM), version=version)}, tenant.secret_key
    )

    assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"}


@pytest.mark.parametrize("persisted", ["abc", {"version": 1}, {"version": 1, "sha256Hash": 7}])
async def test_a_malformed_persisted_query_is_refused(
    gql: GraphQLClient, tenant: TenantKit, persisted: Any
):
    response = await post(gql, {"extensions": {"persistedQuery": persisted}}, tenant.secret_key)

    assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_INVALID"}


# --- over GET -------------------------------------------------------------------------------


async def test_a_query_runs_by_hash_over_get(gql: GraphQLClient, tenant: TenantKit):
    response = await get(
        gql, {"extensions": by_hash(sha256(PROGRAM)), "operationName": "Program"}, tenant.secret_key
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {
            "program": {"__typename": "Program", "name": f"Shop {tenant.slug}", "slug": tenant.slug}
        }
    }


async def test_an_unknown_hash_over_get_is_not_found(gql: GraphQLClient, tenant: TenantKit):
    response = await get(gql, {"extensions": by_hash("0" * 64)}, tenant.secret_key)

    assert refusal(response)["message"] == "PersistedQueryNotFound"
    # A cache in front must not keep the miss: the hash is registered next
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"


async def test_a_mutation_by_hash_over_get_is_refused(
    gql: GraphQLClient, tenant: TenantKit, enroll: Callable[..., Any]
):
    member_id = await enroll(tenant)
    variables = {"memberId": member_id, "points": 5, "idempotencyKey": uuid.uuid4().hex}

    response = await get(
        gql,
        {"extensions": by_hash(sha256(ADJUST_POINTS)), "variables": json.dumps(variables)},
        tenant.secret_key,
    )

    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    points = await gql(
        "query P($id: ID!) { member(id: $id) { points { available } } }",
        {"id": member_id},
        token=tenant.secret_key,
    )
    assert points["member"]["points"]["available"] == 0


# --- required -------------------------------------------------------------------------------


async def test_required_refuses_other_documents_from_a_secret_key(
    required: GraphQLClient, tenant: TenantKit
):
    response = await post(required, {"query": AD_HOC_PROGRAM}, tenant.secret_key)

    assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


async def test_required_refuses_them_with_their_own_hash_and_over_get(
    required: GraphQLClient, tenant: TenantKit
):
    with_hash = {"query": AD_HOC_PROGRAM, "extensions": by_hash(sha256(AD_HOC_PROGRAM))}

    posted = await post(required, with_hash, tenant.secret_key)
    got = await get(required, with_hash, tenant.secret_key)

    for response in (posted, got):
        assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


async def test_required_refuses_a_member_token_and_a_publishable_key(
    required: GraphQLClient, gql: GraphQLClient, tenant: TenantKit, enroll: Callable[..., Any]
):
    token = await member_token(gql, tenant, enroll)

    for credential in (token, tenant.publishable_key):
        response = await post(required, {"query": AD_HOC_PROGRAM}, credential)
        assert refusal(response)["extensions"] == {"code": "PERSISTED_QUERY_REQUIRED"}


async def test_required_runs_the_persisted_text_and_its_hash(
    required: GraphQLClient, tenant: TenantKit
):
    expected = {
        "data": {
            "program": {"__typename": "Program", "name": f"Shop {tenant.slug}", "slug": tenant.slug}
        }
    }

    as_text = await post(required, {"query": PROGRAM}, tenant.secret_key)
    as_hash = await post(required, {"extensions": by_hash(sha256(PROGRAM))}, tenant.secret_key)
    as_both = await post(
        required, {"query": PROGRAM, "extensions": by_hash(sha256(PROGRAM))}, tenant.secret_key
    )
    over_get = await get(required, {"extensions": by_hash(sha256(PROGRAM))}, tenant.secret_key)

    for response in (as_text, as_hash, as_both, over_get):
        assert response.status_code == 200, response.text
        assert response.json() == expected


async def test_required_leaves_operators_free_to_explore(
    required: GraphQLClient, tenant: TenantKit
):
    ad_hoc = await post(
        required, {"query": AD_HOC_PROGRAM}, tenant.operator_token, tenant=tenant.slug
    )
    introspection = await post(required, {"query": INTROSPECT}, tenant.operator_token)

    assert ad_hoc.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_required_is_not_enforced_in_development(services: Services, tenant: TenantKit):
    async with app_with(
        services, require_persisted_queries=True, environment="development"
    ) as development:
        response = await post(development, {"query": AD_HOC_PROGRAM}, tenant.publishable_key)

    assert response.json() == {"data": {"program": {"name": f"Shop {tenant.slug}"}}}


async def test_unknown_hashes_are_not_found_for_operators_too(
    required: GraphQLClient, tenant: TenantKit
):
    response = await post(
        required, {"extensions": by_hash(sha256(INTROSPECT))}, tenant.operator_token
    )

    assert refusal(response)["message"] == "PersistedQueryNotFound"


async def test_two_ids_that_disagree_or_an_id_that_is_not_text_are_refused(
    gql: GraphQLClient, tenant: TenantKit
):
    disagree = await post(
        gql, {"extensions": by_hash(sha256(PROGRAM)), "documentId": sha256(ME)}, tenant.secret_key
    )
    not_text = await post(gql, {"documentId": 5}, tenant.secret_key)

    assert refusal(disagree)["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}
    assert refusal(not_text)["extensions"] == {"code": "PERSISTED_QUERY_INVALID"}
