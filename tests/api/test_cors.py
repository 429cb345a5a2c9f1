"""CORS: browser pages call the API from the origins their tenant allows, and nothing else.

A preflight carries no credential, so it is answered for an origin at least one tenant
allows; the request that follows is answered with `Access-Control-Allow-Origin` only when
its own tenant allows the origin. A secret key is refused from a page on an origin its
tenant does not allow, an operator session from any origin but the platform's own.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.processes import second_process

CONFIGURE_ALLOWED_ORIGINS = """
mutation ConfigureAllowedOrigins($input: ConfigureAllowedOriginsInput!) {
  configureAllowedOrigins(input: $input) {
    tenant { slug allowedOrigins }
    errors { code field message }
  }
}
"""

AGENCY_TENANTS = """
query AgencyTenants { agency { tenants { slug allowedOrigins } } }
"""

PROGRAM = """
query Program { program { name } }
"""

# The platform's own origin: the test settings' public URL.
OWN_ORIGIN = "http://127.0.0.1:8000"


def _origin() -> str:
    return f"https://shop-{uuid.uuid4().hex[:10]}.example"


async def _post(
    gql: GraphQLClient,
    query: str,
    *,
    origin: str | None,
    token: str | None = None,
    tenant: str | None = None,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {}
    if origin is not None:
        headers["Origin"] = origin
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if tenant is not None:
        headers["X-Tenant"] = tenant
    return await gql.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def _preflight(
    gql: GraphQLClient, origin: str, method: str = "POST", request_headers: str | None = None
) -> httpx.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return await gql.http.options("/graphql", headers=headers)


async def _allow(gql: GraphQLClient, kit: TenantKit, *origins: str) -> dict[str, Any]:
    data = await gql(
        CONFIGURE_ALLOWED_ORIGINS,
        {"input": {"origins": list(origins)}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    payload: dict[str, Any] = data["configureAllowedOrigins"]
    return payload


def _vary(response: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",")}


# configureAllowedOrigins


async def test_an_owner_sets_the_origins_and_reads_them_back(gql, tenant):
    # given an owner
    # when they allow two origins, one spelt with its default port and in capitals
    payload = await _allow(gql, tenant, "HTTPS://Shop.Example.com:443", "http://localhost:3000")

    # then both are stored in the form a browser sends
    assert payload["errors"] == []
    assert sorted(payload["tenant"]["allowedOrigins"]) == [
        "http://localhost:3000",
        "https://shop.example.com",
    ]
    # and the agency's tenant list shows them
    tenants = (await gql(AGENCY_TENANTS, token=tenant.operator_token))["agency"]["tenants"]
    assert [t["allowedOrigins"] for t in tenants if t["slug"] == tenant.slug] == [
        ["http://localhost:3000", "https://shop.example.com"]
    ]


@pytest.mark.parametrize(
    "bad",
    ["*", "https://shop.example.com/", "null", "https://*.example.com", "http://shop.example.com"],
)
async def test_an_origin_that_is_not_scheme_host_port_over_https_is_refused(gql, tenant, bad):
    # given a tenant that allows one origin
    await _allow(gql, tenant, "https://kept.example")

    # when an owner sets a list with a wildcard, a path, "null" or plain http (production)
    payload = await _allow(gql, tenant, "https://fine.example", bad)

    # then the item is refused as INVALID and nothing is written
    assert payload["tenant"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "origins", "1"])
    ]
    tenants = (await gql(AGENCY_TENANTS, token=tenant.operator_token))["agency"]["tenants"]
    assert [t["allowedOrigins"] for t in tenants if t["slug"] == tenant.slug] == [
        ["https://kept.example"]
    ]


async def test_a_viewer_and_a_secret_key_may_not_set_origins(gql, make_tenant):
    # given a viewer, and the secret key of a tenant
    viewer = await make_tenant(role="VIEWER")
    variables = {"input": {"origins": ["https://evil.example"]}}

    # when either sets the origins, then it is refused
    by_viewer = await gql.errors(
        CONFIGURE_ALLOWED_ORIGINS, variables, token=viewer.operator_token, tenant=viewer.slug
    )
    by_key = await gql.errors(CONFIGURE_ALLOWED_ORIGINS, variables, token=viewer.secret_key)
    assert by_viewer[0]["extensions"]["code"] == "FORBIDDEN"
    assert by_key[0]["extensions"]["code"] == "FORBIDDEN"


# preflights


async def test_a_preflight_from_an_allowed_origin_is_answered(gql, tenant):
    # given a tenant that allows a storefront's origin
    origin = _origin()
    await _allow(gql, tenant, origin)

    # when the storefront's browser asks before a POST with a key and JSON
    response = await _preflight(gql, origin, "POST", "authorization, content-type")

    # then it may send it, with the headers the API reads, and the answer varies by origin
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    assert {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    } == {
        "authorization",
        "content-type",
        "x-tenant",
    }
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" in _vary(response)


async def test_a_preflight_from_an_origin_no_tenant_allows_is_refused(gql, tenant):
    # given a tenant that allows one origin
    await _allow(gql, tenant, _origin())

    # when a page on another origin asks
    response = await _preflight(gql, "https://evil.example", "POST", "authorization")

    # then it is refused with a typed error and no CORS headers, so the browser sends nothing
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not any(h.startswith("access-control-allow") for h in response.headers)
    assert "origin" in _vary(response)


async def test_a_preflight_for_another_method_is_refused(gql, tenant):
    origin = _origin()
    await _allow(gql, tenant, origin)

    response = await _preflight(gql, origin, "DELETE")

    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_the_platforms_own_origin_may_preflight(gql):
    response = await _preflight(gql, OWN_ORIGIN, "POST", "authorization, x-tenant")

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == OWN_ORIGIN


# the request that follows


async def test_a_publishable_key_from_an_allowed_origin_may_read_the_answer(gql, tenant):
    # given a tenant that allows its storefront's origin
    origin = _origin()
    await _allow(gql, tenant, origin)

    # when the storefront page reads the program with the publishable key
    response = await _post(gql, PROGRAM, origin=origin, token=tenant.publishable_key)

    # then it is served, and the page may read the answer and its request id
    assert response.status_code == 200, response.text
    assert response.json()["data"]["program"]["name"]
    assert response.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert "origin" in _vary(response)


async def test_an_origin_another_tenant_allows_gets_no_cors_headers(gql, make_tenant):
    # given two tenants, one of which allows an origin of its own
    mine, theirs = await make_tenant(), await make_tenant()
    their_origin = _origin()
    await _allow(gql, theirs, their_origin)

    # when a page on their origin uses my publishable key (its preflight passes: some tenant
    # allows the origin)
    assert (await _preflight(gql, their_origin)).status_code == 204
    response = await _post(gql, PROGRAM, origin=their_origin, token=mine.publishable_key)

    # then the answer carries no Access-Control-Allow-Origin: the browser withholds it
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "origin" in _vary(response)


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
async def test_a_secret_key_from_an_origin_its_tenant_does_not_allow_is_refused(
    gql, tenant, origin
):
    # given a tenant that allows no origin
    # when a browser page (or a sandboxed frame, whose origin is "null") sends its secret key
    response = await _post(gql, PROGRAM, origin=origin, token=tenant.secret_key)

    # then it is refused before anything runs, with a typed error and no CORS headers
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "data" not in response.json()
    assert "access-control-allow-origin" not in response.headers


async def test_a_secret_key_from_another_tenants_allowed_origin_is_refused(gql, make_tenant):
    mine, theirs = await make_tenant(), await make_tenant()
    their_origin = _origin()
    await _allow(gql, theirs, their_origin)

    response = await _post(gql, PROGRAM, origin=their_origin, token=mine.secret_key)

    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_secret_key_is_served_from_its_tenants_origin_and_from_a_server(gql, tenant):
    # given a tenant that allows an origin
    origin = _origin()
    await _allow(gql, tenant, origin)

    # when its secret key is sent from that origin, and from a server (no Origin)
    from_page = await _post(gql, PROGRAM, origin=origin, token=tenant.secret_key)
    from_server = await _post(gql, PROGRAM, origin=None, token=tenant.secret_key)

    # then both are served; only the page's answer carries CORS headers
    assert from_page.status_code == 200, from_page.text
    assert from_page.headers["access-control-allow-origin"] == origin
    assert from_server.status_code == 200, from_server.text
    assert "access-control-allow-origin" not in from_server.headers
    assert "origin" in _vary(from_server)


async def test_an_operator_session_is_served_only_from_the_platforms_own_origin(gql, tenant):
    # given an operator, and an origin their tenant allows for its storefront
    origin = _origin()
    await _allow(gql, tenant, origin)

    # when the session is sent from the storefront's origin, from elsewhere, and from the
    # platform's own origin (the console)
    answers = {
        name: await _post(gql, PROGRAM, origin=o, token=tenant.operator_token, tenant=tenant.slug)
        for name, o in (("storefront", origin), ("elsewhere", "https://evil.example"))
    }
    own = await _post(
        gql, PROGRAM, origin=OWN_ORIGIN, token=tenant.operator_token, tenant=tenant.slug
    )
    agency = await _post(
        gql, AGENCY_TENANTS, origin="https://evil.example", token=tenant.operator_token
    )

    # then only the platform's own origin is served
    for name, response in answers.items():
        assert response.status_code == 403, name
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert agency.status_code == 403
    assert own.status_code == 200, own.text
    assert own.json()["data"]["program"]["name"]


async def test_a_changed_list_is_used_at_once(gql, tenant):
    # given a storefront origin, allowed and used (so remembered by this process)
    first, second = _origin(), _origin()
    await _allow(gql, tenant, first)
    assert (await _post(gql, PROGRAM, origin=first, token=tenant.secret_key)).status_code == 200

    # when the owner replaces it with another
    await _allow(gql, tenant, second)

    # then the old origin is refused and the new one served, at once
    assert (await _post(gql, PROGRAM, origin=first, token=tenant.secret_key)).status_code == 403
    assert (await _preflight(gql, first)).status_code == 403
    assert (await _post(gql, PROGRAM, origin=second, token=tenant.secret_key)).status_code == 200
    assert (await _preflight(gql, second)).status_code == 204


async def _status_soon(client: GraphQLClient, request, expected: int, wait: float = 10) -> bool:
    """Repeats `request` until it answers `expected` or `wait` seconds pass (an announcement
    crosses the database server: it is not there the instant the change commits)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        if (await request(client)).status_code == expected:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)


async def test_another_process_hears_of_a_change_long_before_its_cache_time(gql, settings, tenant):
    # given another process that remembers origins for a minute, and has used one
    origin = _origin()
    await _allow(gql, tenant, origin)
    async with second_process(settings, allowed_origins_cache_seconds=60) as other:

        async def by_key(client: GraphQLClient) -> httpx.Response:
            return await _post(client, PROGRAM, origin=origin, token=tenant.secret_key)

        async def preflight(client: GraphQLClient) -> httpx.Response:
            return await _preflight(client, origin)

        assert (await by_key(other)).status_code == 200
        assert (await preflight(other)).status_code == 204

        # when this process removes the origin
        await _allow(gql, tenant)

        # then the other refuses it as soon as the announcement arrives, not a minute later
        assert await _status_soon(other, by_key, 403)
        assert await _status_soon(other, preflight, 403)
