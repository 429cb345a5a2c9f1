"""Only an agency's owners and admins create tenants, up to the agency's limit."""

from __future__ import annotations

import asyncio
import uuid

from api.auth.sessions import open_operator_session
from api.services import Services
from tests.support.throttling import client_from, new_address

CREATE_TENANT = """
mutation Create($input: CreateTenantInput!) {
  createTenant(input: $input) { tenant { slug role } errors { code field message } }
}
"""

AGENCY = """
query { agency { tenants { slug } } }
"""


def _slug() -> str:
    return "c" + uuid.uuid4().hex[:12]


async def _create(gql, token: str) -> dict:
    response = await gql.raw(
        CREATE_TENANT, {"input": {"slug": _slug(), "name": "New shop"}}, token=token
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_viewer_may_not_create_tenants(gql, make_tenant):
    # given an operator who is only a viewer in its agency
    kit = await make_tenant(role="VIEWER")
    before = (await gql(AGENCY, token=kit.operator_token))["agency"]["tenants"]

    # when they create a tenant
    body = await _create(gql, kit.operator_token)

    # then they are refused with FORBIDDEN, and no tenant is made
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await gql(AGENCY, token=kit.operator_token))["agency"]["tenants"] == before


async def test_an_admin_creates_a_tenant_and_is_its_admin(gql, make_tenant):
    # given an admin of its agency
    kit = await make_tenant(role="ADMIN")

    # when they create a tenant
    payload = (await _create(gql, kit.operator_token))["data"]["createTenant"]

    # then it is made, with their role in the agency: creating a tenant makes no owner
    assert payload["errors"] == []
    assert payload["tenant"]["role"] == "ADMIN"


async def test_the_founder_of_an_agency_creates_its_first_tenant(gql, services):
    # given an operator whose agency has no tenant yet
    agency = await services.control.create_agency("Fresh agency")
    operator = await services.control.create_operator(
        f"founder-{uuid.uuid4().hex[:10]}@ops.example", "unused", "Founder", agency
    )
    token, _ = await open_operator_session(services, operator.id)

    # when they create a tenant, then it is made
    payload = (await _create(gql, token))["data"]["createTenant"]
    assert payload["errors"] == []


async def test_an_agency_at_its_limit_gets_no_more_tenants_even_asked_at_once(
    settings, make_tenant
):
    # given an agency with one tenant, on a server that allows an agency two
    kit = await make_tenant()
    own = await Services.start(settings.model_copy(update={"max_tenants_per_agency": 2}))
    try:
        async with client_from(own, new_address()) as gql:
            # when its owner asks for four more at once
            bodies = await asyncio.gather(*(_create(gql, kit.operator_token) for _ in range(4)))
            held = (await gql(AGENCY, token=kit.operator_token))["agency"]["tenants"]
    finally:
        await own.close()

    # then one is made, the others refused with LIMIT_REACHED, and the agency holds two
    payloads = [b["data"]["createTenant"] for b in bodies]
    codes = sorted(p["errors"][0]["code"] if p["errors"] else "CREATED" for p in payloads)
    assert codes == ["CREATED", "LIMIT_REACHED", "LIMIT_REACHED", "LIMIT_REACHED"]
    assert len(held) == 2
