"""Request budgets per credential and per tenant, kept in the real Redis by `limits`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from api.auth.keys import display_prefix, hash_key, new_key
from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.agency_ops import document
from tests.support.gql import GraphQLClient
from tests.support.throttling import client_from, new_address

PROGRAM = """
query { program { name } }
"""

# members(first: 100) { nodes { history(first: 50) { … } } }: an estimated cost over 10,000.
COSTLY = """
query {
  members(first: 100) {
    nodes { id history(first: 50) { nodes { id points } } }
  }
}
"""

UNKNOWN_FIELD = """
query { noSuchField }
"""

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id } errors { code field message } }
}
"""


# On a busy machine a Redis call can outlast the shared services' 0.25 s timeout; the budgets
# then fail open for the breaker's cooldown, as they must, and a test counting on a refusal
# would see none. These tests' apps give Redis seconds to answer instead.
PATIENT = {"redis_timeout": 5.0}


@pytest.fixture(scope="module")
async def gql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    running = await Services.start(settings.model_copy(update=PATIENT))
    transport = httpx.ASGITransport(app=create_app(services=running))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)
    await running.close()


def _budget(response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["ratelimit-limit"]),
        int(headers["ratelimit-remaining"]),
        int(headers["ratelimit-reset"]),
    )


async def _secret_key(services: Services, tenant_id: str) -> str:
    key = new_key("SECRET")
    await services.control.add_api_key(
        uuid.UUID(tenant_id),
        "SECRET",
        "extra",
        display_prefix(key),
        hash_key(key, TEST_SECRET.encode()),
    )
    return key


async def test_every_answer_carries_the_rate_limit_headers(gql, services, tenant):
    # given a secret key, an anonymous caller, a valid query, an invalid one, a refusal, and
    # a credential refused
    default = services.settings.rate_limit_per_minute
    answers = [
        await gql.raw(PROGRAM, token=tenant.secret_key),
        await gql.raw(UNKNOWN_FIELD, token=tenant.secret_key),
        await gql.raw(ENROLL, {"input": {"externalId": ""}}, token=tenant.secret_key),
        await gql.raw(PROGRAM),
        await gql.http.get("/graphql", params={"query": "{ program { name } }"}),
        await gql.raw(PROGRAM, token="lp_sk_" + "x" * 43),  # a key refused with a 401
    ]
    assert answers[-1].status_code == 401

    # then each answer says the budget, what is left of it, and when it refills
    for response in answers:
        limit, remaining, reset = _budget(response)
        assert limit == default
        assert 0 <= remaining <= limit
        assert 0 <= reset <= 60


async def test_a_spent_budget_is_answered_429_with_retry_after(gql, services, make_tenant):
    # given a tenant whose budget is three units a minute per credential
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 3)
    other = await make_tenant()

    # when its secret key sends four requests
    answers = [await gql.raw(PROGRAM, token=kit.secret_key) for _ in range(4)]

    # then three are answered, with the budget counting down, and the fourth refused
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [_budget(r)[0] for r in answers] == [3, 3, 3, 3]
    remaining = [_budget(r)[1] for r in answers]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["requestId"] == refused.headers["x-request-id"]
    assert "data" not in refused.json()
    # and another tenant's key is not affected
    assert (await gql.raw(PROGRAM, token=other.secret_key)).status_code == 200


async def test_a_tenants_credentials_share_the_tenant_budget(gql, services, make_tenant):
    # given a tenant whose credentials have two units each, the tenant five times that
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 2)
    keys = [await _secret_key(services, kit.id) for _ in range(6)]

    # when five keys spend their whole budget
    for key in keys[:5]:
        for _ in range(2):
            assert (await gql.raw(PROGRAM, token=key)).status_code == 200

    # then a sixth key, its own budget untouched, is refused: the tenant's is spent
    refused = await gql.raw(PROGRAM, token=keys[5])
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_an_expensive_query_spends_more_of_the_budget(gql, services, make_tenant):
    # given a tenant with a budget of a thousand units per credential
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 1000)
    first = _budget(await gql.raw(PROGRAM, token=kit.secret_key))[1]

    # when its key asks a cheap query, then a costly one, then a cheap one
    after_cheap = _budget(await gql.raw(PROGRAM, token=kit.secret_key))[1]
    costly = await gql.raw(COSTLY, token=kit.secret_key)
    assert costly.status_code == 200 and "errors" not in costly.json()
    after_costly = _budget(await gql.raw(PROGRAM, token=kit.secret_key))[1]

    # then the cheap query spent one unit, the costly one a hundred or more
    assert first - after_cheap <= 2
    assert after_cheap - after_costly >= 100


async def test_anonymous_callers_are_limited_per_address(services, make_tenant):
    # given a budget of two units a minute, and two anonymous callers at their own addresses
    own = await Services.start(
        services.settings.model_copy(update={"rate_limit_per_minute": 2, **PATIENT})
    )
    try:
        async with (
            client_from(own, new_address()) as first,
            client_from(own, new_address()) as second,
        ):
            # when the first sends three requests, then the second one
            codes = [(await first.raw(PROGRAM)).status_code for _ in range(3)]
            other = (await second.raw(PROGRAM)).status_code
    finally:
        await own.close()

    # then the first is refused its third, and the second is not affected
    assert codes[2] == 429 and 429 not in codes[:2]
    assert other != 429


async def test_with_redis_down_requests_are_not_limited(settings, own_redis, tenant):
    # given a server with a budget of one unit a minute whose Redis is down
    own = await Services.start(
        settings.model_copy(
            update={
                "redis_url": own_redis.url,
                "redis_timeout": 0.2,
                "redis_breaker_seconds": 0.2,
                "rate_limit_per_minute": 1,
            }
        )
    )
    try:
        own_redis.stop()
        async with client_from(own, new_address()) as client:
            # when a key sends three requests
            answers = [await client.raw(PROGRAM, token=tenant.secret_key) for _ in range(3)]
    finally:
        await own.close()

    # then all are answered (fail open; the server logs it), still with the headers
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert all(_budget(r)[0] == 1 for r in answers)


SET_RATE_LIMIT = """
mutation SetTenantRateLimit($input: SetTenantRateLimitInput!) {
  setTenantRateLimit(input: $input) { perMinute errors { code field message } }
}
"""


async def test_an_owner_lowers_the_tenants_budget_but_may_not_raise_it(gql, services, make_tenant):
    # given a tenant's owner
    kit = await make_tenant()
    default = services.settings.rate_limit_per_minute

    # when they lower the budget to 7, then ask for more than the default
    lowered = await gql(
        SET_RATE_LIMIT, {"input": {"perMinute": 7}}, token=kit.operator_token, tenant=kit.slug
    )
    answer = await gql.raw(PROGRAM, token=kit.secret_key)
    raised = await gql(
        SET_RATE_LIMIT,
        {"input": {"perMinute": default + 1}},
        token=kit.operator_token,
        tenant=kit.slug,
    )

    # then the lower budget is in force at once, and the higher one refused on the field
    assert lowered["setTenantRateLimit"] == {"perMinute": 7, "errors": []}
    assert _budget(answer)[0] == 7
    assert [(e["code"], e["field"]) for e in raised["setTenantRateLimit"]["errors"]] == [
        ("INVALID", ["input", "perMinute"])
    ]

    # and returning to the default works
    reset = await gql(
        SET_RATE_LIMIT, {"input": {"perMinute": None}}, token=kit.operator_token, tenant=kit.slug
    )
    assert reset["setTenantRateLimit"]["perMinute"] == default
    assert _budget(await gql.raw(PROGRAM, token=kit.secret_key))[0] == default


async def test_a_viewer_or_a_key_may_not_set_the_budget(gql, make_tenant):
    # given a viewer of a tenant, and the tenant's secret key
    kit = await make_tenant(role="VIEWER")

    # when each sets the budget
    as_viewer = await gql.errors(
        SET_RATE_LIMIT, {"input": {"perMinute": 5}}, token=kit.operator_token, tenant=kit.slug
    )
    as_key = await gql.errors(SET_RATE_LIMIT, {"input": {"perMinute": 5}}, token=kit.secret_key)

    # then both are refused
    assert [e["extensions"]["code"] for e in as_viewer] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in as_key] == ["FORBIDDEN"]


async def test_a_costly_document_named_by_its_hash_spends_its_cost(gql, services, make_tenant):
    # given a tenant's costly document registered as an automatic persisted query
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 1000)
    digest = hashlib.sha256(COSTLY.encode()).hexdigest()
    by_hash = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    headers = {"Authorization": f"Bearer {kit.secret_key}"}
    registered = await gql.http.post(
        "/graphql", json={"query": COSTLY, "extensions": by_hash}, headers=headers
    )
    assert "errors" not in registered.json()
    before = _budget(await gql.raw(PROGRAM, token=kit.secret_key))[1]

    # when its key sends the hash alone, by POST and by GET
    posted = await gql.http.post("/graphql", json={"extensions": by_hash}, headers=headers)
    got = await gql.http.get(
        "/graphql", params={"extensions": json.dumps(by_hash)}, headers=headers
    )
    after = _budget(await gql.raw(PROGRAM, token=kit.secret_key))[1]

    # then each spent its cost, as the text would have
    for response in (posted, got):
        assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert before - after >= 200


async def test_member_uploads_spend_the_operators_graphql_budget(services, make_tenant):
    # given a tenant whose credentials have three units a minute, and its owner
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 3)
    own = await Services.start(services.settings.model_copy(update=PATIENT))
    headers = {"Authorization": f"Bearer {kit.operator_token}", "X-Tenant": kit.slug}
    try:
        transport = httpx.ASGITransport(app=create_app(services=own))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            gql = GraphQLClient(http)
            # when the owner uploads a file, sends two queries, then uploads another
            upload = b"external_id,email\nrl-1,rl-1@uploads.example\n"
            first = await http.post("/imports/members", content=upload, headers=headers)
            queries = [await gql.raw(PROGRAM, token=kit.operator_token, tenant=kit.slug)]
            queries.append(await gql.raw(PROGRAM, token=kit.operator_token, tenant=kit.slug))
            refused = await http.post("/imports/members", content=upload, headers=headers)
            await own.imports.wait()
    finally:
        await own.close()

    # then the first upload spent a unit of the budget /graphql spends, the second is refused
    assert first.status_code == 202, first.text
    assert _budget(first)[:2] == (3, 2)
    assert [q.status_code for q in queries] == [200, 200]
    assert refused.status_code == 429, refused.text
    assert _budget(refused)[:2] == (3, 0)
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.json()["errors"][0]["extensions"]["requestId"] == refused.headers["x-request-id"]


async def test_archive_downloads_spend_the_link_operators_budget(gql, services, make_tenant):
    # given a tenant whose credentials have two units a minute, and its owner's download link
    kit = await make_tenant()
    await services.abuse.tenant_limits.set(uuid.UUID(kit.id), 2)
    body = await gql(
        document("ExportTenant"), {"input": {"tenant": kit.slug}}, token=kit.operator_token
    )
    path = urlsplit(body["exportTenant"]["url"]).path

    # when the link is followed three times
    answers = [await gql.http.get(path) for _ in range(3)]

    # then two archives are downloaded, counting the budget down, and the third refused
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert [_budget(r)[:2] for r in answers] == [(2, 1), (2, 0), (2, 0)]
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "zip" not in refused.headers["content-type"]


async def test_tenant_archive_uploads_spend_the_owners_budget(services, make_tenant):
    # given a budget of two units a minute, and an agency's owner
    kit = await make_tenant()
    own = await Services.start(
        services.settings.model_copy(update={"rate_limit_per_minute": 2, **PATIENT})
    )
    headers = {"Authorization": f"Bearer {kit.operator_token}"}
    slug = "rl-" + uuid.uuid4().hex[:10]
    try:
        async with client_from(own, new_address()) as caller:
            # when the owner sends three uploads (none of them an archive)
            answers = [
                await caller.http.post(
                    "/imports/tenant", params={"slug": slug}, content=b"not a zip", headers=headers
                )
                for _ in range(3)
            ]
    finally:
        await own.close()

    # then two are read and refused as archives, counting the budget down; the third is
    # refused for the budget, before its body is read
    assert [r.status_code for r in answers] == [400, 400, 429]
    assert [_budget(r)[:2] for r in answers] == [(2, 1), (2, 0), (2, 0)]
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_forged_links_spend_the_callers_address_budget(services):
    # given a budget of two units a minute and an anonymous caller at its own address
    own = await Services.start(
        services.settings.model_copy(update={"rate_limit_per_minute": 2, **PATIENT})
    )
    try:
        async with client_from(own, new_address()) as caller:
            # when it follows two forged links, then sends a query
            forged = [await caller.http.get(f"/exports/tenant/forged-{i}") for i in range(2)]
            query = await caller.raw(PROGRAM)
    finally:
        await own.close()

    # then the links are refused, each spending a unit of its address's budget, as a refused
    # credential on /graphql does, so its query finds the budget spent
    assert [r.status_code for r in forged] == [403, 403]
    assert [_budget(r)[:2] for r in forged] == [(2, 1), (2, 0)]
    assert query.status_code == 429
