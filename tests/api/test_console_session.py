"""The console's cookie session: POST /console/session runs the public login and keeps the
token in an HttpOnly, SameSite=Strict cookie beside a CSRF token; /graphql takes the cookie
only for a POST from the platform's own origin that sends the CSRF token back; bearer clients
are unaffected; POST /console/session/end logs out and clears both cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.http.app import create_app
from api.http.console.cookies import CSRF_COOKIE, SESSION_COOKIE
from api.services import Services
from tests.support.agency import PASSWORD, Mate, add_mate
from tests.support.gql import TenantKit
from tests.support.throttling import new_address

OWN_ORIGIN = "http://127.0.0.1:8000"  # the test settings' public URL
AGENCY_TENANTS = "query AgencyTenants { agency { tenants { slug role } } }"


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services=services), client=(new_address(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def owner(services: Services, tenant: TenantKit) -> Mate:
    return await add_mate(services, tenant, "OWNER")


async def _sign_in(http: httpx.AsyncClient, email: str, origin: str | None = OWN_ORIGIN):
    headers = {"Origin": origin} if origin else {}
    return await http.post(
        "/console/session", json={"email": email, "password": PASSWORD}, headers=headers
    )


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


async def _tenants(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/graphql", json={"query": AGENCY_TENANTS}, headers=headers)


def _csrf(http: httpx.AsyncClient) -> str:
    return http.cookies[CSRF_COOKIE]


async def test_signing_in_sets_an_httponly_strict_cookie_and_never_answers_the_token(
    http, owner, tenant
):
    response = await _sign_in(http, owner.email)
    assert response.status_code == 200
    login = response.json()["data"]["login"]
    assert login["errors"] == [] and login["operator"]["email"] == owner.email
    assert "token" not in login
    cookies = _set_cookies(response)
    session = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert "secure" not in session  # plain http: a Secure cookie would never come back
    csrf = cookies[CSRF_COOKIE].lower()
    assert "httponly" not in csrf and "samesite=strict" in csrf
    answer = await _tenants(http, {"X-CSRF-Token": _csrf(http), "Origin": OWN_ORIGIN})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["agency"]["tenants"] == [{"slug": tenant.slug, "role": "OWNER"}]


async def test_the_cookie_is_secure_over_https(services, owner):
    transport = httpx.ASGITransport(app=create_app(services=services), client=(new_address(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as http:
        response = await _sign_in(http, owner.email, origin=None)
    assert "secure" in _set_cookies(response)[SESSION_COOKIE].lower()


async def test_the_cookie_without_the_csrf_token_is_refused(http, owner):
    await _sign_in(http, owner.email)
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": ""}):
        answer = await _tenants(http, headers)
        assert answer.status_code == 403, headers
        error = answer.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "X-CSRF-Token" in error["message"]
        assert error["extensions"]["requestId"] == answer.headers["x-request-id"]


async def test_the_cookie_from_another_origin_is_refused_even_with_the_token(http, owner):
    await _sign_in(http, owner.email)
    headers = {"X-CSRF-Token": _csrf(http), "Origin": "https://evil.example"}
    answer = await _tenants(http, headers)
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_signing_in_from_another_origin_is_refused(http, owner):
    response = await _sign_in(http, owner.email, origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_wrong_password_sets_no_cookie(http, owner):
    response = await http.post(
        "/console/session",
        json={"email": owner.email, "password": "not it at all"},
        headers={"Origin": OWN_ORIGIN},
    )
    login = response.json()["data"]["login"]
    assert login["operator"] is None and login["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert "set-cookie" not in response.headers


async def test_a_malformed_sign_in_is_refused_with_a_typed_error(http):
    for body in (b"[]", b"{", b'{"email": 1, "password": "x"}'):
        response = await http.post(
            "/console/session", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_an_oversized_sign_in_is_refused(http):
    body = b'{"email": "a@b.example", "password": "' + b"x" * 10_000 + b'"}'
    response = await http.post(
        "/console/session", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_bearer_clients_are_unaffected_by_a_console_cookie(http, owner, tenant):
    http.cookies.set(SESSION_COOKIE, "not a session")
    answer = await _tenants(http, {"Authorization": f"Bearer {owner.token}"})
    assert answer.status_code == 200
    assert answer.json()["data"]["agency"]["tenants"][0]["slug"] == tenant.slug


async def test_a_get_never_uses_the_cookie(http, owner):
    await _sign_in(http, owner.email)
    answer = await http.get(
        "/graphql", params={"query": AGENCY_TENANTS}, headers={"X-CSRF-Token": _csrf(http)}
    )
    assert answer.json()["data"]["agency"] is None or "errors" in answer.json()


async def test_logging_out_ends_the_session_and_clears_the_cookies(http, owner):
    await _sign_in(http, owner.email)
    token = http.cookies[SESSION_COOKIE]
    csrf = _csrf(http)
    refused = await http.post("/console/session/end", json={})
    assert refused.status_code == 403  # the CSRF rules hold for signing out too
    response = await http.post(
        "/console/session/end", json={}, headers={"X-CSRF-Token": csrf, "Origin": OWN_ORIGIN}
    )
    assert response.status_code == 200
    assert response.json()["data"]["logout"]["ended"] == 1
    cleared = _set_cookies(response)
    assert "max-age=0" in cleared[SESSION_COOKIE].lower()
    assert "max-age=0" in cleared[CSRF_COOKIE].lower()
    answer = await _tenants(http, {"Authorization": f"Bearer {token}"})
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_page_runs_only_its_own_files(http):
    page = await http.get("/console")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "<script" in page.text and "<script>" not in page.text  # no inline script
    script = page.text.split('<script type="module" src="', 1)[1].split('"', 1)[0]
    assert (await http.get(script)).headers["content-type"].startswith("text/javascript")
    assert (await http.get("/console/assets/missing.js")).status_code == 404


async def test_the_console_loads_agency_documents_by_name(http):
    document = await http.get("/console/operations/Login.graphql")
    assert document.status_code == 200 and "mutation Login" in document.text
    for missing in ("Nope.graphql", "Login.txt", "..%2Fstorefront%2FAdjustPoints.graphql"):
        assert (await http.get(f"/console/operations/{missing}")).status_code == 404
