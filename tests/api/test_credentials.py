"""Given each kind of credential, when it reaches past its scope, then it is refused.

Wrong, malformed, revoked, expired, tampered and other-tenant credentials are refused at the
door (HTTP 401/403 with a code); valid credentials are refused everything outside their scope.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import build_schema

from api.auth.keys import new_key
from api.auth.passwords import hash_password
from api.auth.tokens import issue_member_token, issue_operator_session
from api.schema.common.ids import to_global_id, uuid_of
from api.schema_export import SCHEMA_FILE
from tests.conftest import ADJUST, ENROLL
from tests.support.agency_ops import document
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.provision import agency_of_tenant

PROGRAM = """
query Program { program { name slug } }
"""

PROGRAM_VERSION = """
query ProgramVersion { program { version pendingDays } }
"""

ORDER = """
query Order($orderId: String!) { order(orderId: $orderId) { orderId member { id } } }
"""

RECORD_ORDER = """
mutation RecordOrder($input: RecordOrderInput!) {
  recordOrder(input: $input) { order { orderId } errors { code field message } }
}
"""

REFUND_ORDER = """
mutation RefundOrder($input: RefundOrderInput!) {
  refundOrder(input: $input) { order { orderId } errors { code field message } }
}
"""

RECORD_ACTION = """
mutation RecordAction($input: RecordActionInput!) {
  recordAction(input: $input) { entry { id } errors { code field message } }
}
"""

CONFIGURE_PROGRAM = """
mutation ConfigureProgram($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { program { version } errors { code field message } }
}
"""

MEMBER = """
query Member($id: ID, $externalId: String) {
  member(id: $id, externalId: $externalId) {
    id externalId name points { available pending lifetime }
  }
}
"""

MEMBERS = """
query Members($search: String) {
  members(first: 50, filter: {search: $search}) { nodes { id externalId } }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on Member { externalId }
    ... on LedgerEntry { points reason note }
  }
}
"""

ME = """
query Me {
  me {
    id externalId
    points { available }
    history(first: 50) { nodes { id points reason note } }
  }
}
"""

UPDATE_MEMBER = """
mutation UpdateMember($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id name } errors { code field message } }
}
"""

ISSUE_MEMBER_TOKEN = """
mutation IssueMemberToken($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token expiresAt errors { code field message } }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    token expiresAt operator { email }
    errors { code field message }
  }
}
"""

CREATE_TENANT = """
mutation CreateTenant($input: CreateTenantInput!) {
  createTenant(input: $input) { tenant { slug } errors { code field message } }
}
"""

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    key
    apiKey { id kind name prefix revokedAt }
    errors { code field message }
  }
}
"""

REVOKE_API_KEY = """
mutation RevokeApiKey($input: RevokeApiKeyInput!) {
  revokeApiKey(input: $input) { apiKey { id revokedAt } errors { code field message } }
}
"""

API_KEYS = """
query ApiKeys { apiKeys { id kind name prefix createdAt revokedAt } }
"""

API_KEYS_WITH_SECRET = """
query ApiKeysWithSecret { apiKeys { id key } }
"""

AGENCY = """
query Agency { agency { tenants { slug role } } }
"""


# --- helpers --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _with_claims(token: str, **changes: Any) -> str:
    """The same token with some claims changed and the original signature kept."""
    header, body, signature = token.split(".")
    claims = json.loads(_unb64(body))
    claims.update(changes)
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def _with_bad_signature(token: str) -> str:
    header, body, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return ".".join([header, body, signature[:middle] + swapped + signature[middle + 1 :]])


def _unsigned(token: str) -> str:
    """The token's claims under an `alg: none` header and no signature."""
    _, body, _ = token.split(".")
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{body}."


async def _refused_at_the_door(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return error


def _codes(errors: list[dict[str, Any]]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in errors}


async def _member_token(gql: GraphQLClient, kit: TenantKit, member_id: str) -> str:
    data = await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}, token=kit.secret_key)
    payload = data["issueMemberToken"]
    assert payload["errors"] == []
    token: str = payload["token"]
    return token


async def _member_state(gql: GraphQLClient, kit: TenantKit, member_id: str) -> dict[str, Any]:
    data = await gql(MEMBER, {"id": member_id}, token=kit.secret_key)
    state: dict[str, Any] = data["member"]
    assert state is not None
    return state


# --- wrong, malformed, revoked and other-tenant credentials ---------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda: f"Bearer {new_key('SECRET')}", id="unknown-secret-key"),
        pytest.param(lambda: f"Bearer {new_key('PUBLISHABLE')}", id="unknown-publishable-key"),
        pytest.param(lambda: "Bearer lp_sk_", id="bare-secret-prefix"),
        pytest.param(lambda: "Bearer not-a-token-at-all", id="garbage-token"),
        pytest.param(lambda: "Bearer a.b.c", id="garbage-jwt"),
        pytest.param(lambda: "Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param(lambda: "Bearer", id="bearer-without-token"),
        pytest.param(lambda: "lp_sk_no_scheme", id="no-scheme"),
    ],
)
async def test_wrong_and_malformed_credentials_are_refused_with_401(gql, authorization):
    # given a credential that is not one the platform issued
    header = authorization()

    # when it is sent
    response = await gql.http.post(
        "/graphql", json={"query": PROGRAM}, headers={"Authorization": header}
    )

    # then it is refused before any GraphQL runs
    await _refused_at_the_door(response, 401, "UNAUTHENTICATED")


async def test_a_secret_key_of_another_deployment_key_is_refused(gql, tenant):
    # given a well-formed key whose prefix matches the tenant's but whose secret part differs
    forged = tenant.secret_key[:-4] + ("AAAA" if not tenant.secret_key.endswith("AAAA") else "BBBB")

    # when it is sent
    response = await gql.raw(PROGRAM, token=forged)

    # then it is refused, and the real key still works
    await _refused_at_the_door(response, 401, "UNAUTHENTICATED")
    assert (await gql(PROGRAM, token=tenant.secret_key))["program"]["slug"] == tenant.slug


async def test_an_operator_session_signed_with_another_key_is_refused(gql, tenant):
    # given an operator session signed with a key that is not the server's
    token = issue_operator_session(
        uuid.uuid4(), b"some-other-key-" * 4, datetime.now(UTC) + timedelta(hours=1), uuid.uuid4()
    )

    # when it is sent with a tenant
    response = await gql.raw(PROGRAM, token=token, tenant=tenant.slug)

    # then it is refused
    await _refused_at_the_door(response, 401, "UNAUTHENTICATED")


async def test_a_revoked_secret_key_is_refused_on_the_next_request(gql, tenant, enroll):
    # given a secret key created by an operator, which works
    member_id = await enroll(tenant)
    created = (
        await gql(
            CREATE_API_KEY,
            {"input": {"kind": "SECRET", "name": "to revoke"}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["createApiKey"]
    assert created["errors"] == []
    key = created["key"]
    assert (await gql(MEMBER, {"id": member_id}, token=key))["member"]["id"] == member_id

    # when the operator revokes it
    revoked = (
        await gql(
            REVOKE_API_KEY,
            {"input": {"id": created["apiKey"]["id"]}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["revokeApiKey"]

    # then the revocation is recorded, the key is refused at once, and the tenant's other
    # keys keep working
    assert revoked["errors"] == []
    assert revoked["apiKey"]["id"] == created["apiKey"]["id"]
    assert revoked["apiKey"]["revokedAt"] is not None
    await _refused_at_the_door(
        await gql.raw(MEMBER, {"id": member_id}, token=key), 401, "UNAUTHENTICATED"
    )
    await _refused_at_the_door(
        await gql.raw(ADJUST, {"input": {"memberId": member_id, "points": 5}}, token=key),
        401,
        "UNAUTHENTICATED",
    )
    assert (await gql(MEMBER, {"id": member_id}, token=tenant.secret_key))["member"]["points"][
        "available"
    ] == 0


async def test_an_operator_cannot_revoke_another_tenants_key(gql, make_tenant):
    # given two tenants, each with its own operator
    mine, theirs = await make_tenant(), await make_tenant()
    their_keys = (await gql(API_KEYS, token=theirs.operator_token, tenant=theirs.slug))["apiKeys"]
    their_secret = next(k for k in their_keys if k["kind"] == "SECRET")

    # when my operator revokes their key by its id, naming my tenant
    payload = (
        await gql(
            REVOKE_API_KEY,
            {"input": {"id": their_secret["id"]}},
            token=mine.operator_token,
            tenant=mine.slug,
        )
    )["revokeApiKey"]

    # then nothing is found and their key still works
    assert payload["apiKey"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["input", "id"])]
    assert (await gql(PROGRAM, token=theirs.secret_key))["program"]["slug"] == theirs.slug


@pytest.mark.parametrize("tenant_ref", ["slug", "id", "unknown"])
async def test_an_operator_is_refused_a_tenant_they_have_no_membership_in(
    gql, make_tenant, tenant_ref
):
    # given an operator of one tenant, and another tenant
    mine, theirs = await make_tenant(), await make_tenant()
    ref = {"slug": theirs.slug, "id": theirs.id, "unknown": "no-such-tenant"}[tenant_ref]

    # when the operator names the other tenant in X-Tenant
    response = await gql.raw(MEMBERS, token=mine.operator_token, tenant=ref)

    # then the request is refused with 403, while their own tenant is served
    error = await _refused_at_the_door(response, 403, "FORBIDDEN")
    assert theirs.slug not in error["message"]
    assert (await gql(PROGRAM, token=mine.operator_token, tenant=mine.slug))["program"][
        "slug"
    ] == mine.slug


async def test_a_key_never_serves_another_tenant_even_when_x_tenant_names_it(gql, make_tenant):
    # given two tenants
    mine, theirs = await make_tenant(), await make_tenant()

    # when my keys are sent with X-Tenant naming the other tenant
    for key in (mine.secret_key, mine.publishable_key):
        response = await gql.raw(PROGRAM, token=key, tenant=theirs.slug)

        # then the answer is never the other tenant's
        assert response.status_code in (200, 403), response.text
        if response.status_code == 200:
            assert response.json()["data"]["program"]["slug"] == mine.slug


# --- secret keys: one tenant only ----------------------------------------------------------


async def test_a_secret_key_cannot_read_another_tenants_members(gql, make_tenant, enroll):
    # given a member of tenant B, and tenant A's secret key
    a, b = await make_tenant(), await make_tenant()
    external_id = "b-" + uuid.uuid4().hex
    b_member = await enroll(b, external_id=external_id, points=70)

    # when A's key looks for B's member every way there is
    by_id = (await gql(MEMBER, {"id": b_member}, token=a.secret_key))["member"]
    by_external_id = (await gql(MEMBER, {"externalId": external_id}, token=a.secret_key))["member"]
    by_node = (await gql(NODE, {"id": b_member}, token=a.secret_key))["node"]
    by_search = (await gql(MEMBERS, {"search": external_id}, token=a.secret_key))["members"]

    # then it finds nothing, while B's own key finds the member
    assert by_id is None
    assert by_external_id is None
    assert by_node is None
    assert by_search["nodes"] == []
    assert (await gql(MEMBER, {"id": b_member}, token=b.secret_key))["member"]["externalId"] == (
        external_id
    )


async def test_a_secret_key_cannot_change_another_tenants_members(gql, make_tenant, enroll):
    # given a member of tenant B with points, and tenant A's secret key
    a, b = await make_tenant(), await make_tenant()
    b_member = await enroll(b, points=70)
    before = await _member_state(gql, b, b_member)

    # when A's key adjusts, renames and issues a token for B's member
    adjusted = (
        await gql(ADJUST, {"input": {"memberId": b_member, "points": -70}}, token=a.secret_key)
    )["adjustPoints"]
    updated = (
        await gql(UPDATE_MEMBER, {"input": {"id": b_member, "name": "Hacked"}}, token=a.secret_key)
    )["updateMember"]
    issued = (await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": b_member}}, token=a.secret_key))[
        "issueMemberToken"
    ]

    # then each is refused as not found, and B's member is unchanged
    assert adjusted["entry"] is None
    assert [(e["code"], e["field"]) for e in adjusted["errors"]] == [
        ("NOT_FOUND", ["input", "memberId"])
    ]
    assert updated["member"] is None
    assert [(e["code"], e["field"]) for e in updated["errors"]] == [("NOT_FOUND", ["input", "id"])]
    assert issued["token"] is None
    assert [e["code"] for e in issued["errors"]] == ["NOT_FOUND"]
    assert await _member_state(gql, b, b_member) == before
    assert before["points"]["available"] == 70


# --- member tokens: one member only --------------------------------------------------------


async def test_a_member_token_reads_me(gql, tenant, enroll):
    # given a member with points and a token for them
    external_id = "me-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=40)
    token = await _member_token(gql, tenant, member_id)

    # when the app asks for `me`
    me = (await gql(ME, token=token))["me"]

    # then it gets that member and their balance
    assert me["id"] == member_id
    assert me["externalId"] == external_id
    assert me["points"] == {"available": 40}
    assert [e["points"] for e in me["history"]["nodes"]] == [40]


@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        pytest.param(MEMBER, lambda other: {"id": other}, id="member"),
        pytest.param(MEMBERS, lambda other: {}, id="members"),
        pytest.param(NODE, lambda other: {"id": other}, id="node-of-a-member"),
        pytest.param(
            ADJUST, lambda other: {"input": {"memberId": other, "points": 1}}, id="adjustPoints"
        ),
        pytest.param(
            ENROLL, lambda other: {"input": {"externalId": uuid.uuid4().hex}}, id="enrollMember"
        ),
        pytest.param(
            ISSUE_MEMBER_TOKEN, lambda other: {"input": {"memberId": other}}, id="issueMemberToken"
        ),
        pytest.param(API_KEYS, lambda other: {}, id="apiKeys"),
    ],
)
async def test_a_member_token_is_refused_everything_but_its_own_member(
    gql, tenant, enroll, operation, variables
):
    # given two members, and a token for the first
    me = await enroll(tenant, points=10)
    other = await enroll(tenant, points=20)
    token = await _member_token(gql, tenant, me)
    other_before = await _member_state(gql, tenant, other)

    # when the token is used for a store's or a staff member's operation
    errors = await gql.errors(operation, variables(other), token=token)

    # then it is refused, with a code, and nothing of the other member changes or leaks
    assert _codes(errors) == {"FORBIDDEN"}
    assert other_before["externalId"] not in json.dumps(errors)
    assert await _member_state(gql, tenant, other) == other_before


async def test_a_member_token_never_sees_another_members_ledger_entry(gql, tenant, enroll):
    # given two members with an entry each, and a token for the first
    mine = await enroll(tenant)
    theirs = await enroll(tenant)
    my_entry = (
        await gql(
            ADJUST,
            {"input": {"memberId": mine, "points": 5, "reason": "mine", "note": "staff only"}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]["entry"]
    their_entry = (
        await gql(
            ADJUST,
            {"input": {"memberId": theirs, "points": 9, "reason": "theirs"}},
            token=tenant.secret_key,
        )
    )["adjustPoints"]["entry"]
    token = await _member_token(gql, tenant, mine)

    # when the token fetches both entries by node(id:)
    their_node = (await gql(NODE, {"id": their_entry["id"]}, token=token))["node"]
    my_node = (await gql(NODE, {"id": my_entry["id"]}, token=token))["node"]
    my_history = (await gql(ME, token=token))["me"]["history"]["nodes"]

    # then the other member's entry does not exist for it, and its own hides the staff note
    assert their_node is None
    assert my_node == {"id": my_entry["id"], "points": 5, "reason": "mine", "note": None}
    assert [(e["id"], e["note"]) for e in my_history] == [(my_entry["id"], None)]
    secret_view = (await gql(NODE, {"id": my_entry["id"]}, token=tenant.secret_key))["node"]
    assert secret_view["note"] == "staff only"


async def test_an_expired_member_token_is_refused(gql, tenant, enroll, services):
    # given a member, and two tokens signed with the tenant's key: one current, one expired
    member_id = await enroll(tenant)
    record = await services.registry.get(uuid.UUID(tenant.id))
    member_uuid = uuid_of(member_id, "Member")
    now = datetime.now(UTC)
    current, _ = issue_member_token(
        record.id, member_uuid, record.jwt_secret, timedelta(minutes=10), now
    )
    expired, expired_at = issue_member_token(
        record.id, member_uuid, record.jwt_secret, timedelta(minutes=10), now - timedelta(hours=2)
    )
    assert expired_at < now

    # when each is used
    works = (await gql(ME, token=current))["me"]["id"]
    response = await gql.raw(ME, token=expired)

    # then only the current one is accepted
    assert works == member_id
    await _refused_at_the_door(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param("signature", id="bad-signature"),
        pytest.param("subject", id="other-member-same-signature"),
        pytest.param("expiry", id="extended-expiry-same-signature"),
        pytest.param("alg-none", id="unsigned"),
        pytest.param("other-tenant", id="other-tenant-claim"),
        pytest.param("other-tenants-key", id="signed-with-other-tenants-key"),
    ],
)
async def test_a_tampered_member_token_is_refused(gql, make_tenant, enroll, services, tamper):
    # given a real token for one member, and another member and tenant
    kit, other_kit = await make_tenant(), await make_tenant()
    member_id = await enroll(kit)
    other_member = await enroll(kit, points=50)
    token = await _member_token(gql, kit, member_id)
    other_record = await services.registry.get(uuid.UUID(other_kit.id))
    forged = {
        "signature": lambda: _with_bad_signature(token),
        "subject": lambda: _with_claims(token, sub=str(uuid_of(other_member, "Member"))),
        "expiry": lambda: _with_claims(token, exp=int(datetime.now(UTC).timestamp()) + 86400),
        "alg-none": lambda: _unsigned(token),
        "other-tenant": lambda: _with_claims(token, tid=other_kit.id),
        "other-tenants-key": lambda: issue_member_token(
            uuid.UUID(kit.id),
            uuid_of(member_id, "Member"),
            other_record.jwt_secret,
            timedelta(minutes=10),
            datetime.now(UTC),
        )[0],
    }[tamper]()

    # when the forged token is used
    response = await gql.raw(ME, token=forged)

    # then it is refused, and the genuine one still works
    await _refused_at_the_door(response, 401, "UNAUTHENTICATED")
    assert (await gql(ME, token=token))["me"]["id"] == member_id


# --- publishable keys: public program data only --------------------------------------------


async def test_a_publishable_key_reads_the_program(gql, tenant):
    # given the tenant's publishable key
    # when it reads the program
    program = (await gql(PROGRAM, token=tenant.publishable_key))["program"]

    # then it gets this tenant's program
    assert program["slug"] == tenant.slug
    assert program["name"] == f"Shop {tenant.slug}"


@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        pytest.param(MEMBER, lambda m: {"id": m}, id="member"),
        pytest.param(MEMBER, lambda m: {"externalId": "x"}, id="member-by-external-id"),
        pytest.param(MEMBERS, lambda m: {}, id="members"),
        pytest.param(NODE, lambda m: {"id": m}, id="node"),
        pytest.param(ME, lambda m: {}, id="me"),
        pytest.param(API_KEYS, lambda m: {}, id="apiKeys"),
        pytest.param(ORDER, lambda m: {"orderId": "any"}, id="order"),
    ],
)
async def test_a_publishable_key_cannot_read_members(gql, tenant, enroll, operation, variables):
    # given a member, and the tenant's publishable key
    member_id = await enroll(tenant, points=15)

    # when the key reads member data
    errors = await gql.errors(operation, variables(member_id), token=tenant.publishable_key)

    # then it is refused with a code and the member's id appears nowhere
    assert _codes(errors) <= {"FORBIDDEN", "UNAUTHENTICATED"}
    assert _codes(errors)
    assert member_id not in json.dumps(errors)


PK_ORDER = "order-by-publishable-key"
REFERRAL_SETTINGS_VERSION = "query { program { referrals { version } } }"

CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""
UPDATE_REWARD = """
mutation UpdateReward($input: UpdateRewardInput!) {
  updateReward(input: $input) { reward { id } errors { code field message } }
}
"""
ARCHIVE_REWARD = """
mutation ArchiveReward($input: ArchiveRewardInput!) {
  archiveReward(input: $input) { reward { id } errors { code field message } }
}
"""
IMPORT_CODES = """
mutation ImportCodes($input: ImportRewardCodesInput!) {
  importRewardCodes(input: $input) { imported errors { code field message } }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { code } errors { code field message } }
}
"""
MARK_USED = """
mutation MarkUsed($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code field message } }
}
"""
CANCEL_REDEMPTION = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { redemption { status } errors { code field message } }
}
"""
ERASE_MEMBER = """
mutation EraseMember($input: EraseMemberInput!) {
  eraseMember(input: $input) { member { status } errors { code field message } }
}
"""
CONFIGURE_REFERRALS = """
mutation ConfigureReferrals($input: ConfigureReferralsInput!) {
  configureReferrals(input: $input) { referrals { version } errors { code field message } }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
UPDATE_TIER = """
mutation UpdateTier($input: UpdateTierInput!) {
  updateTier(input: $input) { tier { id } errors { code field message } }
}
"""
CONFIGURE_TIERS = """
mutation ConfigureTiers($input: ConfigureTiersInput!) {
  configureTiers(input: $input) { settings { version } errors { code field message } }
}
"""
CONFIGURE_ALLOWED_ORIGINS = """
mutation ConfigureAllowedOrigins($input: ConfigureAllowedOriginsInput!) {
  configureAllowedOrigins(input: $input) { tenant { allowedOrigins } errors { code field message } }
}
"""
SET_TENANT_RATE_LIMIT = """
mutation SetTenantRateLimit($input: SetTenantRateLimitInput!) {
  setTenantRateLimit(input: $input) { perMinute errors { code field message } }
}
"""


# A client's manifest in Relay's form: {sha256: text}.
_TEAM_DOCUMENT = "query Team { program { name } }"
_RELAY_MANIFEST = json.dumps({hashlib.sha256(_TEAM_DOCUMENT.encode()).hexdigest(): _TEAM_DOCUMENT})


def _refused_by_payload(name: str, input_type: str) -> str:
    """A call of mutation `name`; only its refusal is read."""
    return (
        f"mutation Call($input: {input_type}!) "
        f"{{ {name}(input: $input) {{ errors {{ code field message }} }} }}"
    )


# Mutations of the insights (surveys, segments, stamps, analytics), with valid inputs.
_SOME_ID = "U3VydmV5OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="
_WEBHOOK_ID = "V2ViaG9va0VuZHBvaW50OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA=="
_INSIGHTS = {
    "createSurvey": ("CreateSurveyInput", {"kind": "NPS", "question": "Recommend us?"}),
    "updateSurvey": ("UpdateSurveyInput", {"id": _SOME_ID, "question": "Again?"}),
    "archiveSurvey": ("ArchiveSurveyInput", {"id": _SOME_ID}),
    "submitSurveyResponse": ("SubmitSurveyResponseInput", {"surveyId": _SOME_ID, "score": 9}),
    "createSegment": (
        "CreateSegmentInput",
        {
            "key": "quiet",
            "name": "Quiet",
            "rule": {"condition": {"field": "DAYS_SINCE_LAST_ORDER", "op": "GTE", "value": 90}},
        },
    ),
    "updateSegment": ("UpdateSegmentInput", {"key": "vip", "name": "Very important"}),
    "deleteSegment": ("DeleteSegmentInput", {"key": "quiet"}),
    "grantToSegment": (
        "GrantToSegmentInput",
        {"segment": "at-risk", "campaignKey": "pk", "points": 10, "reason": "Come back"},
    ),
    "configureStampCard": ("ConfigureStampCardInput", {"enabled": True, "cardSize": 5}),
    "configureAnalytics": ("ConfigureAnalyticsInput", {"grossMargin": "0.4"}),
    "createWebhookEndpoint": (
        "CreateWebhookEndpointInput",
        {"url": "https://hooks.example/in", "eventTypes": ["points.changed"]},
    ),
    "updateWebhookEndpoint": ("UpdateWebhookEndpointInput", {"id": _WEBHOOK_ID, "enabled": True}),
    "deleteWebhookEndpoint": ("DeleteWebhookEndpointInput", {"id": _WEBHOOK_ID}),
    "rotateWebhookSecret": ("RotateWebhookSecretInput", {"id": _WEBHOOK_ID}),
    "redeliverWebhook": ("RedeliverWebhookInput", {"deliveryId": "V2ViaG9va0RlbGl2ZXJ5OjE="}),
    "sendTestWebhook": ("SendTestWebhookInput", {"id": _WEBHOOK_ID}),
}
_SOME_OPERATOR = to_global_id("Operator", uuid.UUID(int=0))
# Mutations of the agency's team and an operator's own sessions, with valid inputs.
_AGENCY = {
    "inviteOperator": ("InviteOperatorInput", {"email": "new@ops.example", "role": "VIEWER"}),
    "changeOperatorRole": (
        "ChangeOperatorRoleInput",
        {"operatorId": _SOME_OPERATOR, "role": "VIEWER"},
    ),
    "removeOperator": ("RemoveOperatorInput", {"operatorId": _SOME_OPERATOR}),
    "saveProgramTemplate": ("SaveProgramTemplateInput", {"tenant": "any-tenant", "name": "Base"}),
    "applyProgramTemplate": (
        "ApplyProgramTemplateInput",
        {"template": to_global_id("ProgramTemplate", uuid.UUID(int=0)), "tenant": "any-tenant"},
    ),
    "copyProgram": ("CopyProgramInput", {"fromTenant": "any-tenant", "toTenant": "any-tenant"}),
    "deleteProgramTemplate": (
        "DeleteProgramTemplateInput",
        {"id": to_global_id("ProgramTemplate", uuid.UUID(int=0))},
    ),
    "revokeInvitation": (
        "RevokeInvitationInput",
        {"id": to_global_id("Invitation", uuid.UUID(int=0))},
    ),
    **{
        name: (
            "TenantAccessInput",
            {"operatorId": _SOME_OPERATOR, "tenantId": to_global_id("Tenant", uuid.UUID(int=0))},
        )
        for name in ("grantTenantAccess", "revokeTenantAccess")
    },
    "logout": ("LogoutInput", {}),
    "changePassword": (
        "ChangePasswordInput",
        {"current": "not the password", "new": "a long and uncommon passphrase"},
    ),
    "revokeOperatorSession": (
        "RevokeOperatorSessionInput",
        {"id": to_global_id("OperatorSession", uuid.UUID(int=0))},
    ),
}
# Mutations that take no credential: anyone may call them.
PUBLIC_MUTATIONS = {"login", "acceptInvitation", "refreshMemberToken"}
TIERS_STATE = """
query TiersState {
  program { tiers(includeArchived: true) { id name threshold } tierSettings { version } }
}
"""
REWARD_STATE = """
query RewardState($id: ID!, $member: ID!) {
  reward(id: $id) { name archived remainingStock }
  member(id: $member) { redemptions(first: 10) { nodes { code status } } }
  rewards(first: 50, filter: {includeArchived: true}) { nodes { id name } }
}
"""


def _every_mutation(
    member_id: str, key_id: str, reward_id: str, code: str, tier_id: str
) -> dict[str, tuple[str, dict[str, Any]]]:
    """One valid call of every mutation that takes a credential (login takes none)."""
    reward = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 5}
    return {
        "enrollMember": (ENROLL, {"input": {"externalId": "pk-" + uuid.uuid4().hex}}),
        "updateMember": (UPDATE_MEMBER, {"input": {"id": member_id, "name": "Changed"}}),
        "adjustPoints": (ADJUST, {"input": {"memberId": member_id, "points": 5}}),
        "recordOrder": (
            RECORD_ORDER,
            {
                "input": {
                    "orderId": PK_ORDER,
                    "memberId": member_id,
                    "currency": "USD",
                    "placedAt": "2026-01-05T10:00:00+00:00",
                    "lines": [{"sku": "MUG", "quantity": 2, "unitPrice": 1500}],
                }
            },
        ),
        "refundOrder": (
            REFUND_ORDER,
            {"input": {"orderId": PK_ORDER, "refundId": "refund-1", "amount": 500}},
        ),
        "recordAction": (RECORD_ACTION, {"input": {"memberId": member_id, "action": "review"}}),
        "configureProgram": (CONFIGURE_PROGRAM, {"input": {"pendingDays": 9}}),
        "configureReferrals": (
            CONFIGURE_REFERRALS,
            {"input": {"refereeReward": {"points": 50}, "trigger": "SIGNUP"}},
        ),
        "issueMemberToken": (ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}),
        "createTenant": (
            CREATE_TENANT,
            {"input": {"slug": "pk" + uuid.uuid4().hex[:10], "name": "Not mine"}},
        ),
        "createApiKey": (CREATE_API_KEY, {"input": {"kind": "SECRET"}}),
        "revokeApiKey": (REVOKE_API_KEY, {"input": {"id": key_id}}),
        "createReward": (CREATE_REWARD, {"input": reward}),
        "updateReward": (UPDATE_REWARD, {"input": {"id": reward_id, "name": "Changed"}}),
        "archiveReward": (ARCHIVE_REWARD, {"input": {"id": reward_id}}),
        "importRewardCodes": (IMPORT_CODES, {"input": {"rewardId": reward_id, "codes": ["X1"]}}),
        "redeemReward": (REDEEM, {"input": {"rewardId": reward_id, "memberId": member_id}}),
        "markRedemptionUsed": (MARK_USED, {"input": {"code": code, "orderId": PK_ORDER}}),
        "cancelRedemption": (CANCEL_REDEMPTION, {"input": {"code": code}}),
        "eraseMember": (ERASE_MEMBER, {"input": {"id": member_id}}),
        "createTier": (CREATE_TIER, {"input": {"name": "Gold", "threshold": 500}}),
        "updateTier": (UPDATE_TIER, {"input": {"id": tier_id, "threshold": 1}}),
        "configureTiers": (CONFIGURE_TIERS, {"input": {"metric": "ORDER_COUNT"}}),
        "configureAllowedOrigins": (
            CONFIGURE_ALLOWED_ORIGINS,
            # not an origin other tests expect every tenant to refuse (an owner sets it)
            {"input": {"origins": ["https://roles-under-test.example"]}},
        ),
        "setTenantRateLimit": (SET_TENANT_RATE_LIMIT, {"input": {"perMinute": 1}}),
        "registerTrustedDocuments": (
            _refused_by_payload("registerTrustedDocuments", "RegisterTrustedDocumentsInput"),
            {"input": {"client": "web", "manifest": _RELAY_MANIFEST}},
        ),
        "revokeTrustedDocuments": (
            _refused_by_payload("revokeTrustedDocuments", "RevokeTrustedDocumentsInput"),
            {"input": {"client": "web"}},
        ),
        "exportMember": (document("ExportMember"), {"input": {"member": member_id}}),
        "revokeMemberRefreshTokens": (
            _refused_by_payload("revokeMemberRefreshTokens", "RevokeMemberRefreshTokensInput"),
            {"input": {"memberId": member_id}},
        ),
        # a file of a header only: an import of no rows
        "startMemberImport": (document("StartMemberImport"), {"input": {"content": "email\n"}}),
        **{
            name[0].lower() + name[1:]: (document(name), {"input": {"tenant": "any-tenant"}})
            for name in (
                "SuspendTenant",
                "ReactivateTenant",
                "ArchiveTenant",
                "DeleteTenant",
                "ExportTenant",
            )
        },
        **{
            name: (_refused_by_payload(name, input_type), {"input": given})
            for name, (input_type, given) in (_INSIGHTS | _AGENCY).items()
        },
    }


async def test_a_publishable_key_is_refused_every_mutation(gql, tenant, enroll):
    # given a member, the tenant's keys as the operator sees them, and the publishable key
    member_id = await enroll(tenant, points=15)
    keys_before = (await gql(API_KEYS, token=tenant.operator_token, tenant=tenant.slug))["apiKeys"]
    secret_key_id = next(k["id"] for k in keys_before if k["kind"] == "SECRET")
    members_before = (await gql(MEMBERS, token=tenant.secret_key))["members"]["nodes"]
    program_before = (await gql(PROGRAM_VERSION, token=tenant.secret_key))["program"]
    created = await gql(
        CREATE_REWARD,
        {"input": {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 5}},
        token=tenant.secret_key,
    )
    reward_id = created["createReward"]["reward"]["id"]
    redeemed = await gql(
        REDEEM, {"input": {"rewardId": reward_id, "memberId": member_id}}, token=tenant.secret_key
    )
    code = redeemed["redeemReward"]["redemption"]["code"]
    member_before = await _member_state(gql, tenant, member_id)
    state_of = {"id": reward_id, "member": member_id}
    catalog_before = await gql(REWARD_STATE, state_of, token=tenant.secret_key)
    made = await gql(
        CREATE_TIER,
        {"input": {"name": "Silver", "threshold": 100}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    tier_id = made["createTier"]["tier"]["id"]
    tiers_before = await gql(TIERS_STATE, token=tenant.secret_key)
    calls = _every_mutation(member_id, secret_key_id, reward_id, code, tier_id)
    schema_mutations = set(build_schema(SCHEMA_FILE.read_text()).mutation_type.fields)
    assert set(calls) | PUBLIC_MUTATIONS == schema_mutations, "cover every mutation of the contract"

    for name, (operation, variables) in calls.items():
        # when the publishable key calls it
        response = await gql.raw(operation, variables, token=tenant.publishable_key)

        # then it is refused with a code, and returns nothing
        assert response.status_code < 500, (name, response.text)
        body = response.json()
        assert body.get("data") is None, (name, body)
        assert _codes(body["errors"]) == {"FORBIDDEN"}, (name, body)

    # and nothing changed: the member, the members, the program, the orders, the keys
    assert await _member_state(gql, tenant, member_id) == member_before
    assert (await gql(PROGRAM_VERSION, token=tenant.secret_key))["program"] == program_before
    referrals = await gql(REFERRAL_SETTINGS_VERSION, token=tenant.secret_key)
    assert referrals["program"]["referrals"]["version"] == 0
    assert (await gql(ORDER, {"orderId": PK_ORDER}, token=tenant.secret_key))["order"] is None
    assert (await gql(MEMBERS, token=tenant.secret_key))["members"]["nodes"] == members_before
    keys_after = (await gql(API_KEYS, token=tenant.operator_token, tenant=tenant.slug))["apiKeys"]
    assert keys_after == keys_before
    assert await gql(REWARD_STATE, state_of, token=tenant.secret_key) == catalog_before
    assert await gql(TIERS_STATE, token=tenant.secret_key) == tiers_before


# --- operators by role ----------------------------------------------------------------------


async def test_a_viewer_reads_members_but_cannot_change_them(gql, make_tenant, enroll):
    # given a tenant whose operator is a viewer, and one of its members
    kit = await make_tenant(role="VIEWER")
    member_id = await enroll(kit, points=25)
    before = await _member_state(gql, kit, member_id)

    # when the viewer reads
    read = (await gql(MEMBER, {"id": member_id}, token=kit.operator_token, tenant=kit.slug))[
        "member"
    ]
    listed = (await gql(MEMBERS, token=kit.operator_token, tenant=kit.slug))["members"]["nodes"]

    # then the member is there
    assert read == before
    assert [m["id"] for m in listed] == [member_id]

    # when the viewer adjusts, enrols, renames and manages keys
    attempts = [
        (ADJUST, {"input": {"memberId": member_id, "points": 100}}),
        (ENROLL, {"input": {"externalId": "viewer-" + uuid.uuid4().hex}}),
        (UPDATE_MEMBER, {"input": {"id": member_id, "name": "Viewer was here"}}),
        (CREATE_API_KEY, {"input": {"kind": "SECRET"}}),
        (API_KEYS, {}),
    ]
    for operation, variables in attempts:
        errors = await gql.errors(operation, variables, token=kit.operator_token, tenant=kit.slug)

        # then each is refused for the role
        assert _codes(errors) == {"FORBIDDEN"}, errors

    # and nothing changed
    assert await _member_state(gql, kit, member_id) == before
    after = (await gql(MEMBERS, token=kit.secret_key))["members"]["nodes"]
    assert [m["id"] for m in after] == [member_id]


async def test_an_owner_may_do_what_a_viewer_may_not(gql, tenant, enroll):
    # given the tenant's owner operator (the control for the viewer test above)
    member_id = await enroll(tenant)

    # when the owner adjusts points
    payload = (
        await gql(
            ADJUST,
            {"input": {"memberId": member_id, "points": 100}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["adjustPoints"]

    # then it is done
    assert payload["errors"] == []
    assert payload["points"]["available"] == 100


# --- operator login -------------------------------------------------------------------------


@pytest.fixture
async def operator_with_password(services, tenant):
    email = f"login-{uuid.uuid4().hex[:10]}@ops.example"
    password = "correct horse battery staple"
    operator = await services.control.create_operator(
        email,
        hash_password(password),
        "Login Op",
        await agency_of_tenant(services, tenant.id),
        "ADMIN",
    )
    await services.control.grant(operator.id, uuid.UUID(tenant.id), "ADMIN")
    return email, password


@pytest.mark.parametrize("who", ["wrong-password", "unknown-email", "empty-password"])
async def test_login_with_wrong_credentials_gives_a_typed_error(gql, operator_with_password, who):
    # given an operator with a password
    email, password = operator_with_password
    attempt = {
        "wrong-password": {"email": email, "password": password + "!"},
        "unknown-email": {"email": "nobody-" + email, "password": password},
        "empty-password": {"email": email, "password": ""},
    }[who]

    # when someone logs in with the wrong credentials
    payload = (await gql(LOGIN, {"input": attempt}))["login"]

    # then a typed error says so, the same for an unknown email, and no token is given
    assert payload["token"] is None
    assert payload["operator"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_CREDENTIALS", ["input", "email"])
    ]


async def test_login_with_the_right_password_gives_a_working_token(
    gql, tenant, enroll, operator_with_password
):
    # given an operator with a password and a role on the tenant, and a member
    email, password = operator_with_password
    member_id = await enroll(tenant)

    # when they log in (the email's case and spaces do not matter)
    payload = (await gql(LOGIN, {"input": {"email": f"  {email.upper()} ", "password": password}}))[
        "login"
    ]

    # then they get a session that works for the tenant they belong to
    assert payload["errors"] == []
    assert payload["operator"] == {"email": email}
    token = payload["token"]
    assert token
    agency = (await gql(AGENCY, token=token))["agency"]
    assert agency["tenants"] == [{"slug": tenant.slug, "role": "ADMIN"}]
    members = (await gql(MEMBERS, token=token, tenant=tenant.slug))["members"]["nodes"]
    assert [m["id"] for m in members] == [member_id]


# --- API keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "prefix"), [("SECRET", "lp_sk_"), ("PUBLISHABLE", "lp_pk_")])
async def test_create_api_key_shows_the_key_once_and_lists_only_its_prefix(
    gql, tenant, kind, prefix
):
    # given the tenant's owner
    # when they create a key
    payload = (
        await gql(
            CREATE_API_KEY,
            {"input": {"kind": kind, "name": "checkout"}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["createApiKey"]

    # then the key is returned with its record
    assert payload["errors"] == []
    key = payload["key"]
    assert key.startswith(prefix)
    assert len(key) >= len(prefix) + 43  # 256 random bits, base64url
    record = payload["apiKey"]
    assert record["kind"] == kind
    assert record["name"] == "checkout"
    assert record["revokedAt"] is None
    assert key.startswith(record["prefix"])
    assert len(record["prefix"]) < len(key) - 32

    # and it works
    assert (await gql(PROGRAM, token=key))["program"]["slug"] == tenant.slug

    # when the keys are listed
    response = await gql.raw(API_KEYS, token=tenant.operator_token, tenant=tenant.slug)

    # then the new key is there by prefix only; the key itself is nowhere
    listed = response.json()["data"]["apiKeys"]
    assert {"id": record["id"], "prefix": record["prefix"], "kind": kind} in [
        {"id": k["id"], "prefix": k["prefix"], "kind": k["kind"]} for k in listed
    ]
    assert key not in response.text
    assert key[len(record["prefix"]) :] not in response.text
    errors = await gql.errors(API_KEYS_WITH_SECRET, token=tenant.operator_token, tenant=tenant.slug)
    assert "Cannot query field 'key' on type 'ApiKey'" in errors[0]["message"]


async def test_only_an_operator_creates_api_keys(gql, tenant):
    # given the tenant's secret key
    # when it tries to mint another key
    errors = await gql.errors(
        CREATE_API_KEY, {"input": {"kind": "SECRET"}}, token=tenant.secret_key
    )

    # then it is refused
    assert _codes(errors) == {"FORBIDDEN"}


async def test_an_unknown_api_key_id_cannot_be_revoked(gql, tenant):
    # given an ApiKey id that does not exist
    missing = to_global_id("ApiKey", uuid.uuid4())

    # when the owner revokes it
    payload = (
        await gql(
            REVOKE_API_KEY,
            {"input": {"id": missing}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
    )["revokeApiKey"]

    # then it is not found, and the tenant's keys still work
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["input", "id"])]
    assert (await gql(PROGRAM, token=tenant.secret_key))["program"]["slug"] == tenant.slug
