"""The agency's team through GraphQL: invitations, roles, tenant access, the last owner,
and the agency's boundary."""

from __future__ import annotations

import asyncio
import uuid

from api.schema.common.ids import to_global_id
from tests.support.agency import PASSWORD, add_mate, agency_doc, codes, payload

TEAM = agency_doc("Team")
LOGIN = agency_doc("Login")
PROGRAM = "query { program { slug } }"
CREATE_API_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key errors { code } } }
"""


def _tenant_gid(kit) -> str:
    return to_global_id("Tenant", uuid.UUID(kit.id))


async def _team(gql, token) -> dict[str, dict]:
    return {m["email"]: m for m in (await gql(TEAM, token=token))["team"]}


async def _invite(gql, kit, role="ADMIN", tenants=None, token=None):
    email = f"new-{uuid.uuid4().hex[:10]}@ops.example"
    given = {"email": email.upper(), "role": role, "tenants": tenants or [_tenant_gid(kit)]}
    return email, await payload(gql, "InviteOperator", given, token or kit.operator_token)


async def test_an_invitation_brings_a_new_operator_into_the_agency(gql, tenant):
    # given an owner who invites someone as an admin of the agency's tenant
    email, invited = await _invite(gql, tenant)
    assert invited["errors"] == []
    assert invited["token"].startswith("lp_inv_")
    assert invited["invitation"]["email"] == email  # canonical
    assert invited["invitation"]["tenantIds"] == [_tenant_gid(tenant)]

    # when the invitation is accepted with a password
    accepted = await payload(
        gql,
        "AcceptInvitation",
        {"token": invited["token"], "password": PASSWORD, "name": "New Admin"},
        token=None,
    )

    # then the operator exists in the agency, logged in, with the role and the tenant
    assert accepted["errors"] == []
    assert accepted["operator"]["email"] == email
    team = await _team(gql, tenant.operator_token)
    assert team[email]["role"] == "ADMIN"
    assert [t["slug"] for t in team[email]["tenants"]] == [tenant.slug]
    assert team[tenant.operator_email]["role"] == "OWNER"
    session = accepted["token"]
    assert (await gql(PROGRAM, token=session, tenant=tenant.slug))["program"]["slug"] == tenant.slug
    assert set(await _team(gql, session)) == set(team)
    # and the password chosen logs in
    login = await gql(LOGIN, {"input": {"email": email, "password": PASSWORD}})
    assert login["login"]["errors"] == []


async def test_a_used_or_expired_invitation_is_refused(gql, services, tenant):
    # given an invitation used once
    _, first = await _invite(gql, tenant)
    used = {"token": first["token"], "password": PASSWORD}
    assert (await payload(gql, "AcceptInvitation", used, token=None))["errors"] == []

    # when it is used again, then it is refused
    again = await payload(gql, "AcceptInvitation", used, token=None)
    assert codes(again) == ["INVITATION_USED"]
    assert again["token"] is None

    # given an invitation that has expired
    email, second = await _invite(gql, tenant)
    await services.pool.execute(
        "UPDATE control.operator_invitations SET expires_at = now() - interval '1 second'"
        " WHERE email = $1",
        email,
    )

    # when it is accepted, then it is refused, and nobody joined
    late = await payload(
        gql, "AcceptInvitation", {"token": second["token"], "password": PASSWORD}, token=None
    )
    assert codes(late) == ["INVITATION_EXPIRED"]
    assert email not in await _team(gql, tenant.operator_token)

    # and a token that was never given is refused too
    made_up = {"token": "lp_inv_" + "x" * 43, "password": PASSWORD}
    assert codes(await payload(gql, "AcceptInvitation", made_up, token=None)) == ["NOT_FOUND"]


async def test_a_weak_password_is_refused_and_the_invitation_stays_open(gql, tenant):
    # given an invitation
    email, invited = await _invite(gql, tenant)

    for weak in ["short-pw", "password1234", "aaaaaaaaaaaaaaaa"]:
        # when it is accepted with a weak password
        refused = await payload(
            gql, "AcceptInvitation", {"token": invited["token"], "password": weak}, token=None
        )

        # then it is refused with WEAK_PASSWORD, and nothing was written
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("WEAK_PASSWORD", ["input", "password"])
        ]
        assert email not in await _team(gql, tenant.operator_token)

    # and the invitation still works with a good password
    good = {"token": invited["token"], "password": PASSWORD}
    assert (await payload(gql, "AcceptInvitation", good, token=None))["errors"] == []


async def test_an_admin_invites_admins_and_viewers_but_no_owner(gql, services, tenant):
    # given an admin of the agency
    admin = await add_mate(services, tenant, "ADMIN")

    # when it invites an owner, then it is refused
    errors = await gql.errors(
        agency_doc("InviteOperator"),
        {"input": {"email": "boss@ops.example", "role": "OWNER"}},
        token=admin.token,
    )
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}

    # and a viewer or an admin it may invite
    for role in ("VIEWER", "ADMIN"):
        _, invited = await _invite(gql, tenant, role=role, token=admin.token)
        assert invited["errors"] == [], invited

    # and it may not change an owner's role, nor make an admin an owner
    owner = (await _team(gql, tenant.operator_token))[tenant.operator_email]
    for target, role in ((owner["id"], "VIEWER"), (admin.id, "OWNER")):
        errors = await gql.errors(
            agency_doc("ChangeOperatorRole"),
            {"input": {"operatorId": target, "role": role}},
            token=admin.token,
        )
        assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert (await _team(gql, tenant.operator_token))[tenant.operator_email]["role"] == "OWNER"


async def test_the_last_owner_is_neither_removed_nor_demoted(gql, services, tenant):
    # given an agency with one owner
    owner = (await _team(gql, tenant.operator_token))[tenant.operator_email]

    # when the owner removes or demotes itself, then it is refused
    removed = await payload(
        gql, "RemoveOperator", {"operatorId": owner["id"]}, tenant.operator_token
    )
    assert codes(removed) == ["LAST_OWNER"]
    demoted = await payload(
        gql,
        "ChangeOperatorRole",
        {"operatorId": owner["id"], "role": "ADMIN"},
        tenant.operator_token,
    )
    assert codes(demoted) == ["LAST_OWNER"]

    # given a second owner
    second = await add_mate(services, tenant, "OWNER")

    # when both remove each other at once, then one is left
    results = await asyncio.gather(
        payload(gql, "RemoveOperator", {"operatorId": second.id}, tenant.operator_token),
        payload(gql, "RemoveOperator", {"operatorId": owner["id"]}, second.token),
        return_exceptions=True,
    )
    done = [r for r in results if isinstance(r, dict) and r["errors"] == []]
    assert len(done) == 1, results
    owners = await services.pool.fetchval(
        "SELECT count(*) FROM control.operators WHERE agency_id ="
        " (SELECT agency_id FROM control.tenants WHERE id = $1) AND role = 'OWNER'",
        uuid.UUID(tenant.id),
    )
    assert owners == 1


async def test_a_role_change_and_a_removal_take_effect_on_the_next_request(gql, services, tenant):
    # given an admin who creates keys
    admin = await add_mate(services, tenant, "ADMIN")
    made = await gql(
        CREATE_API_KEY, {"input": {"kind": "SECRET"}}, token=admin.token, tenant=tenant.slug
    )
    assert made["createApiKey"]["errors"] == []

    # when the owner makes it a viewer
    changed = await payload(
        gql, "ChangeOperatorRole", {"operatorId": admin.id, "role": "VIEWER"}, tenant.operator_token
    )
    assert changed["errors"] == []
    assert changed["member"]["role"] == "VIEWER"
    assert [t["role"] for t in changed["member"]["tenants"]] == ["VIEWER"]

    # then its next mutation is refused, and it still reads
    errors = await gql.errors(
        CREATE_API_KEY, {"input": {"kind": "SECRET"}}, token=admin.token, tenant=tenant.slug
    )
    assert {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert (await gql(PROGRAM, token=admin.token, tenant=tenant.slug))["program"]

    # when the owner takes its access to the tenant away, then the tenant is closed to it
    revoked = await payload(
        gql,
        "RevokeTenantAccess",
        {"operatorId": admin.id, "tenantId": _tenant_gid(tenant)},
        tenant.operator_token,
    )
    assert revoked["errors"] == [] and revoked["member"]["tenants"] == []
    response = await gql.raw(PROGRAM, token=admin.token, tenant=tenant.slug)
    assert response.status_code == 403

    # when it is given back, then it opens again
    granted = await payload(
        gql,
        "GrantTenantAccess",
        {"operatorId": admin.id, "tenantId": _tenant_gid(tenant)},
        tenant.operator_token,
    )
    assert [t["slug"] for t in granted["member"]["tenants"]] == [tenant.slug]
    assert (await gql(PROGRAM, token=admin.token, tenant=tenant.slug))["program"]

    # when the owner removes it, then its session is refused at once
    removed = await payload(gql, "RemoveOperator", {"operatorId": admin.id}, tenant.operator_token)
    assert removed["errors"] == []
    assert (await gql.raw(PROGRAM, token=admin.token, tenant=tenant.slug)).status_code == 401
    assert admin.email not in await _team(gql, tenant.operator_token)


async def test_no_operator_reaches_another_agencys_tenants_or_team(gql, services, make_tenant):
    # given two agencies, each with an owner and a tenant, and a mate in the second
    ours = await make_tenant()
    theirs = await make_tenant()
    their_mate = await add_mate(services, theirs, "VIEWER")
    mine = await add_mate(services, ours, "VIEWER", access=False)

    # when our owner names their tenant, then it is refused
    response = await gql.raw(PROGRAM, token=ours.operator_token, tenant=theirs.slug)
    assert response.status_code == 403

    # when it grants their tenant to our operator, or ours to theirs, or invites into theirs
    attempts = [
        ("GrantTenantAccess", {"operatorId": mine.id, "tenantId": _tenant_gid(theirs)}),
        ("GrantTenantAccess", {"operatorId": their_mate.id, "tenantId": _tenant_gid(ours)}),
        ("ChangeOperatorRole", {"operatorId": their_mate.id, "role": "OWNER"}),
        ("RemoveOperator", {"operatorId": their_mate.id}),
        (
            "InviteOperator",
            {"email": "spy@ops.example", "role": "ADMIN", "tenants": [_tenant_gid(theirs)]},
        ),
    ]
    for name, given in attempts:
        result = await payload(gql, name, given, ours.operator_token)

        # then each is refused as if the other agency did not exist
        assert codes(result) == ["NOT_FOUND"], (name, result)

    # and nothing changed on either side
    assert set(await _team(gql, ours.operator_token)) == {ours.operator_email, mine.email}
    theirs_team = await _team(gql, theirs.operator_token)
    assert set(theirs_team) == {theirs.operator_email, their_mate.email}
    assert theirs_team[their_mate.email]["role"] == "VIEWER"
    assert (await _team(gql, mine.token))[mine.email]["tenants"] == []
    assert (await gql.raw(PROGRAM, token=mine.token, tenant=theirs.slug)).status_code == 403


async def test_a_tenant_an_admin_creates_is_open_to_it_and_to_the_owners(gql, services, tenant):
    # given an admin of the agency with no tenant of its own, and a viewer
    admin = await add_mate(services, tenant, "ADMIN", access=False)
    viewer = await add_mate(services, tenant, "VIEWER")
    slug = "t" + uuid.uuid4().hex[:12]

    # when the admin creates a tenant
    created = await gql(
        agency_doc("CreateTenant"), {"input": {"slug": slug, "name": "New shop"}}, token=admin.token
    )

    # then it is the admin's, as an admin, and every owner's, and not the viewer's
    assert created["createTenant"]["errors"] == []
    assert created["createTenant"]["tenant"]["role"] == "ADMIN"
    team = await _team(gql, tenant.operator_token)
    assert {t["slug"]: t["role"] for t in team[admin.email]["tenants"]} == {slug: "ADMIN"}
    assert slug in {t["slug"] for t in team[tenant.operator_email]["tenants"]}
    assert slug not in {t["slug"] for t in team[viewer.email]["tenants"]}


async def test_an_invitation_to_a_bad_address_or_an_operator_is_refused(gql, services, tenant):
    mate = await add_mate(services, tenant, "VIEWER")
    for email, code in [("not an email", "INVALID"), (mate.email.upper(), "DUPLICATE")]:
        given = {"email": email, "role": "VIEWER"}
        refused = await payload(gql, "InviteOperator", given, tenant.operator_token)
        assert codes(refused) == [code]
        assert refused["token"] is None


async def test_an_owner_has_every_tenant_of_the_agency(gql, services, make_tenant):
    # given an agency with two tenants, and an admin with access to neither
    kit = await make_tenant()
    admin = await add_mate(services, kit, "ADMIN", access=False)
    slug = "t" + uuid.uuid4().hex[:12]
    second = await gql(
        agency_doc("CreateTenant"),
        {"input": {"slug": slug, "name": "Second"}},
        token=kit.operator_token,
    )
    assert second["createTenant"]["errors"] == []

    # when the owner makes it an owner, then it has both tenants, as an owner
    made = await payload(
        gql, "ChangeOperatorRole", {"operatorId": admin.id, "role": "OWNER"}, kit.operator_token
    )
    assert {t["slug"]: t["role"] for t in made["member"]["tenants"]} == {
        kit.slug: "OWNER",
        slug: "OWNER",
    }

    # and an owner invited to the first tenant only has them all too
    _, invited = await _invite(gql, kit, role="OWNER")
    accepted = await payload(
        gql, "AcceptInvitation", {"token": invited["token"], "password": PASSWORD}, token=None
    )
    assert {t["slug"] for t in accepted["member"]["tenants"]} == {kit.slug, slug}
