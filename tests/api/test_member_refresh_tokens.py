"""Given a store that issues a member token with a device id, when the member's app renews
it with the refresh token that came with it, then the app gets a new member token and the
next refresh token; a refresh token works once, and a used one shown again revokes the
device's tokens; the store revokes them, and erasing the member does too. Through the
repository's documents, against the real database."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from api.services import Services
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.operations import OPERATIONS

ISSUE = (OPERATIONS / "storefront/IssueMemberToken.graphql").read_text()
REFRESH = (OPERATIONS / "mobile/RefreshMemberToken.graphql").read_text()
REVOKE = (OPERATIONS / "storefront/RevokeMemberRefreshTokens.graphql").read_text()
ERASE = (OPERATIONS / "storefront/EraseMember.graphql").read_text()
AUDIT_LOG = (OPERATIONS / "agency/AuditLog.graphql").read_text()
ME = "query Me { me { __typename id } }"


async def _issue(gql: GraphQLClient, kit: TenantKit, member: str, device: str | None) -> dict:
    given: dict = {"memberId": member}
    if device is not None:
        given["deviceId"] = device
    payload = (await gql(ISSUE, {"input": given}, token=kit.secret_key))["issueMemberToken"]
    assert payload["errors"] == []
    return payload


async def _refresh(gql: GraphQLClient, refresh_token: str, device: str) -> dict:
    # The app sends no credential: its member token may have expired already.
    given = {"refreshToken": refresh_token, "deviceId": device}
    return (await gql(REFRESH, {"input": given}))["refreshMemberToken"]


def _codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def _me(gql: GraphQLClient, token: str) -> str:
    return (await gql(ME, token=token))["me"]["id"]


async def test_an_app_renews_its_member_token_with_a_refresh_token_used_once(gql, tenant, enroll):
    # given a member token issued with a device id
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    assert issued["refreshToken"].startswith("lp_rt_")
    assert issued["refreshTokenExpiresAt"] > issued["expiresAt"]

    # when the app refreshes, and then refreshes again with the token it got
    first = await _refresh(gql, issued["refreshToken"], "phone-1")
    second = await _refresh(gql, first["refreshToken"], "phone-1")

    # then each answer is a working member token of the member and a new refresh token
    for renewed in (first, second):
        assert renewed["errors"] == []
        assert await _me(gql, renewed["token"]) == member
    tokens = {issued["refreshToken"], first["refreshToken"], second["refreshToken"]}
    assert len(tokens) == 3


async def test_a_used_refresh_token_shown_again_revokes_the_device(gql, tenant, enroll):
    # given an app that refreshed once, and a second device of the same member
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    other = await _issue(gql, tenant, member, "tablet")
    renewed = await _refresh(gql, issued["refreshToken"], "phone-1")

    # when the used token is shown again (a stolen copy, say)
    reused = await _refresh(gql, issued["refreshToken"], "phone-1")

    # then it is refused as reused, and the newest token of that device is revoked too
    assert _codes(reused) == ["REFRESH_TOKEN_REUSED"]
    assert reused["token"] is None and reused["refreshToken"] is None
    assert _codes(await _refresh(gql, renewed["refreshToken"], "phone-1")) == [
        "INVALID_CREDENTIALS"
    ]
    # and the other device still refreshes
    assert (await _refresh(gql, other["refreshToken"], "tablet"))["errors"] == []


async def test_two_exchanges_of_one_token_at_once_are_one_exchange_and_one_reuse(
    gql, tenant, enroll
):
    # given a refresh token
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")

    # when it is exchanged twice at the same time
    answers = await asyncio.gather(
        *(_refresh(gql, issued["refreshToken"], "phone-1") for _ in range(2))
    )

    # then one exchange succeeds and the other is taken for a reuse, which revokes the device
    assert sorted(tuple(_codes(a)) for a in answers) == [(), ("REFRESH_TOKEN_REUSED",)]
    won = next(a for a in answers if not a["errors"])
    assert _codes(await _refresh(gql, won["refreshToken"], "phone-1")) == ["INVALID_CREDENTIALS"]


@pytest.mark.parametrize(
    "change", ["another device", "not a token", "another tenant's shape", "blank device"]
)
async def test_a_refresh_token_is_refused_off_its_device_and_kept(gql, tenant, enroll, change):
    # given a refresh token of a device
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    token, device = issued["refreshToken"], "phone-1"
    field = ["input", "refreshToken"]

    # when it is sent changed
    if change == "another device":
        device = "phone-2"
    elif change == "not a token":
        token = "lp_rt_nonsense"
    elif change == "another tenant's shape":
        token = "lp_rt_" + "0" * 32 + token[38:]
    else:
        device, field = "  ", ["input", "deviceId"]
    refused = await _refresh(gql, token, device)

    # then it is refused, with nothing issued
    assert refused["token"] is None and refused["refreshToken"] is None
    assert [e["field"] for e in refused["errors"]] == [field]
    # and the real token still works on its device: a wrong guess revokes nothing
    assert (await _refresh(gql, issued["refreshToken"], "phone-1"))["errors"] == []


async def test_without_a_device_id_no_refresh_token_is_issued(gql, tenant, enroll):
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, None)
    assert issued["token"] and issued["refreshToken"] is None
    assert issued["refreshTokenExpiresAt"] is None


async def test_only_hashes_of_refresh_tokens_are_stored(gql, tenant, enroll, services: Services):
    # given a refresh token issued and exchanged
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    renewed = await _refresh(gql, issued["refreshToken"], "phone-1")

    # then no column of the table holds either token, or its secret part
    found = await services.registry.get(UUID(tenant.id))
    assert found is not None
    rows = await services.pool.fetch(f"SELECT * FROM {found.schema_name}.member_refresh_tokens")
    assert len(rows) == 2
    stored = repr([dict(r) for r in rows])
    for token in (issued["refreshToken"], renewed["refreshToken"]):
        assert token[38:] not in stored


async def test_an_expired_refresh_token_is_refused(gql, tenant, enroll, services: Services):
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    found = await services.registry.get(UUID(tenant.id))
    assert found is not None
    await services.pool.execute(
        f"UPDATE {found.schema_name}.member_refresh_tokens"
        " SET expires_at = now() - interval '1 second'"
    )
    assert _codes(await _refresh(gql, issued["refreshToken"], "phone-1")) == [
        "REFRESH_TOKEN_EXPIRED"
    ]


async def test_the_store_revokes_a_device_or_every_device(gql, tenant, enroll):
    # given a member signed in on two devices, one of which refreshed once
    member = await enroll(tenant)
    phone = await _issue(gql, tenant, member, "phone-1")
    phone = {**phone, **await _refresh(gql, phone["refreshToken"], "phone-1")}
    tablet = await _issue(gql, tenant, member, "tablet")

    # when the store revokes the phone's tokens
    revoke = {"input": {"memberId": member, "deviceId": "phone-1"}}
    revoked = (await gql(REVOKE, revoke, token=tenant.secret_key))["revokeMemberRefreshTokens"]

    # then one live token was revoked (the used one was not live), the phone must sign in
    assert revoked == {"__typename": "RevokeMemberRefreshTokensPayload", "revoked": 1, "errors": []}
    assert _codes(await _refresh(gql, phone["refreshToken"], "phone-1")) == ["INVALID_CREDENTIALS"]
    # and the tablet still refreshes, until every device is revoked
    tablet = await _refresh(gql, tablet["refreshToken"], "tablet")
    assert tablet["errors"] == []
    every = {"input": {"memberId": member}}
    revoked = (await gql(REVOKE, every, token=tenant.secret_key))["revokeMemberRefreshTokens"]
    assert revoked["revoked"] == 1
    assert _codes(await _refresh(gql, tablet["refreshToken"], "tablet")) == ["INVALID_CREDENTIALS"]
    # and the audit log has both revocations, by the secret key, naming the member
    log = await gql(
        AUDIT_LOG,
        {"first": 5, "filter": {"action": "revokeMemberRefreshTokens"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    entries = [edge["node"] for edge in log["auditLog"]["edges"]]
    assert [(e["actor"]["kind"], e["target"]) for e in entries] == [("SECRET_KEY", member)] * 2


async def test_revoking_is_the_stores_not_the_members_or_the_pages(gql, tenant, enroll):
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")
    revoke = {"input": {"memberId": member}}
    for token in (issued["token"], tenant.publishable_key):
        answer = (await gql.raw(REVOKE, revoke, token=token)).json()
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _refresh(gql, issued["refreshToken"], "phone-1"))["errors"] == []


async def test_erasing_a_member_revokes_its_refresh_tokens(gql, tenant, enroll):
    member = await enroll(tenant)
    issued = await _issue(gql, tenant, member, "phone-1")

    erased = await gql(ERASE, {"input": {"id": member}}, token=tenant.secret_key)

    assert erased["eraseMember"]["errors"] == []
    assert _codes(await _refresh(gql, issued["refreshToken"], "phone-1")) == ["INVALID_CREDENTIALS"]
