"""Operator sessions: a logout is seen at once by another replica, a password change ends
the other sessions, sessions are listed and revoked one by one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from tests.support.agency import PASSWORD, add_mate, agency_doc, codes, payload
from tests.support.gql import GraphQLClient
from tests.support.throttling import new_address

LOGIN = agency_doc("Login")
SESSIONS = agency_doc("OperatorSessions")
PROGRAM = "query { program { slug } }"


@pytest.fixture
async def replica(settings) -> AsyncIterator[GraphQLClient]:
    """A second app built from the same settings: its own pools and caches, the same
    database and Redis, as another replica behind the load balancer."""
    services = await Services.start(settings)
    transport = httpx.ASGITransport(app=create_app(services=services), client=(new_address(), 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)
    finally:
        await services.close()


async def _login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> str:
    result = (await gql(LOGIN, {"input": {"email": email, "password": password}}))["login"]
    assert result["errors"] == [], result
    token: str = result["token"]
    return token


async def _works(gql: GraphQLClient, token: str, tenant: str) -> bool:
    response = await gql.raw(PROGRAM, token=token, tenant=tenant)
    if response.status_code == 401:
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return False
    assert response.status_code == 200, response.text
    return True


async def test_a_logout_is_seen_at_once_by_another_replica(gql, replica, services, tenant):
    # given an operator logged in on one replica, whose session works on both
    mate = await add_mate(services, tenant, "ADMIN")
    token = await _login(gql, mate.email)
    assert await _works(gql, token, tenant.slug)
    assert await _works(replica, token, tenant.slug)

    # when it logs out on the first
    result = await payload(gql, "Logout", {}, token)
    assert result == {"ended": 1, "errors": []}

    # then the other replica refuses the session on its very next request, as does the first
    assert not await _works(replica, token, tenant.slug)
    assert not await _works(gql, token, tenant.slug)
    # and the operator's other sessions go on
    assert await _works(replica, mate.token, tenant.slug)


async def test_logout_everywhere_ends_every_session(gql, replica, services, tenant):
    # given an operator with two sessions
    mate = await add_mate(services, tenant, "VIEWER")
    token = await _login(replica, mate.email)

    # when it logs out everywhere, then both end
    assert (await payload(gql, "Logout", {"everywhere": True}, token))["ended"] == 2
    assert not await _works(gql, token, tenant.slug)
    assert not await _works(replica, mate.token, tenant.slug)


async def test_changing_the_password_ends_the_other_sessions(gql, replica, services, tenant):
    # given an operator with two sessions, one on each replica
    mate = await add_mate(services, tenant, "VIEWER")
    here = await _login(gql, mate.email)
    there = await _login(replica, mate.email)
    new_password = "another long and rare passphrase"

    # when it changes its password with the wrong current one, or to a weak one
    wrong = await payload(
        gql, "ChangePassword", {"current": "not it at all", "new": new_password}, here
    )
    weak = await payload(gql, "ChangePassword", {"current": PASSWORD, "new": "qwerty123456"}, here)

    # then each is refused with its code, and every session still works
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [
        ("INVALID_CREDENTIALS", ["input", "current"])
    ]
    assert [(e["code"], e["field"]) for e in weak["errors"]] == [
        ("WEAK_PASSWORD", ["input", "new"])
    ]
    assert await _works(replica, there, tenant.slug)

    # when it changes it rightly
    changed = await payload(gql, "ChangePassword", {"current": PASSWORD, "new": new_password}, here)

    # then its other sessions end, on every replica, and this one goes on
    assert changed == {"endedSessions": 2, "errors": []}  # `there` and the mate's first
    assert not await _works(replica, there, tenant.slug)
    assert not await _works(gql, mate.token, tenant.slug)
    assert await _works(replica, here, tenant.slug)
    # and only the new password logs in
    old = await gql(LOGIN, {"input": {"email": mate.email, "password": PASSWORD}})
    assert codes(old["login"]) == ["INVALID_CREDENTIALS"]
    assert await _login(gql, mate.email, new_password)


async def test_sessions_are_listed_and_revoked_one_by_one(gql, services, tenant, make_tenant):
    # given an operator with a second session from a browser
    mate = await add_mate(services, tenant, "VIEWER")
    response = await gql.raw(LOGIN, {"input": {"email": mate.email, "password": PASSWORD}})
    browser = response.json()["data"]["login"]["token"]

    # when it lists its sessions
    listed = (await gql(SESSIONS, token=mate.token))["operatorSessions"]

    # then both are there, the current one marked, the login's with its user agent
    assert len(listed) == 2
    current = [s for s in listed if s["current"]]
    other = [s for s in listed if not s["current"]]
    assert len(current) == 1 and len(other) == 1
    assert other[0]["userAgent"].startswith("python-httpx")

    # when another operator tries to revoke it, then it finds no such session
    stranger = await make_tenant()
    refused = await payload(
        gql, "RevokeOperatorSession", {"id": other[0]["id"]}, stranger.operator_token
    )
    assert codes(refused) == ["NOT_FOUND"]
    assert await _works(gql, browser, tenant.slug)

    # when the operator revokes it, then that session ends and this one goes on
    assert (await payload(gql, "RevokeOperatorSession", {"id": other[0]["id"]}, mate.token))[
        "errors"
    ] == []
    assert not await _works(gql, browser, tenant.slug)
    assert [s["id"] for s in (await gql(SESSIONS, token=mate.token))["operatorSessions"]] == [
        current[0]["id"]
    ]


async def test_a_session_token_without_its_row_is_refused(gql, services, tenant):
    # given a token correctly signed for a session that was never opened
    from datetime import UTC, datetime, timedelta

    from api.auth.principal import operator_signing_key
    from api.auth.tokens import issue_operator_session

    operator = await services.control.operator_by_email(tenant.operator_email)
    forged = issue_operator_session(
        operator.id,
        operator_signing_key(services),
        datetime.now(UTC) + timedelta(hours=1),
        uuid.uuid4(),
    )

    # when it is used, then it is refused
    assert not await _works(gql, forged, tenant.slug)
