"""Every response carries the security headers: JSON answers of every status, errors
included, and the GraphiQL page, whose policy lets exactly its own scripts load."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from api.http.app import create_app
from api.http.security_headers import JSON_POLICY

PROGRAM = """
query Program { program { name } }
"""

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _assert_hardened(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "server" not in response.headers


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.fixture
async def failing_app(services) -> AsyncIterator[httpx.AsyncClient]:
    """The app with one more route that fails unexpectedly, answered by Starlette's own
    error handling."""

    async def boom(request: Request) -> Response:
        raise RuntimeError("unexpected")

    app = create_app(services=services)
    app.add_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_json_answers_of_every_status_carry_the_headers(gql, tenant, failing_app):
    # given requests answered 200, 401, 403, 404, 405, a refused preflight, and a 500
    http = gql.http
    answers = [
        await gql.raw(PROGRAM, token=tenant.publishable_key),
        await gql.raw(PROGRAM, token="lp_sk_not-a-real-key"),
        await gql.raw(PROGRAM, token=tenant.operator_token, tenant="no-such-tenant"),
        await http.get("/no-such-route"),
        await http.put("/graphql"),
        await http.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        await http.get("/healthz"),
        await failing_app.get("/boom"),
    ]
    assert [r.status_code for r in answers] == [200, 401, 403, 404, 405, 403, 200, 500]

    # then each carries the headers, and a policy that lets nothing load or frame it
    for response in answers:
        _assert_hardened(response)
        assert response.headers["content-security-policy"] == JSON_POLICY


async def test_the_graphiql_page_may_load_exactly_its_own_scripts(gql, tenant):
    # given the GraphiQL page, as a browser asks for it with a secret key
    response = await gql.http.get(
        "/graphql",
        headers={"Accept": "text/html", "Authorization": f"Bearer {tenant.secret_key}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text

    # then its policy allows scripts and stylesheets of this origin only (the page names
    # nothing else), runs no inline script, and lets nothing frame it
    _assert_hardened(response)
    policy = _directives(response.headers["content-security-policy"])
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*\shref="([^"]+)"', page)
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert sources and stylesheets and not inline
    assert all(url.startswith("/") and not url.startswith("//") for url in sources)
    assert all(url.startswith("/") and not url.startswith("//") for url in stylesheets)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
