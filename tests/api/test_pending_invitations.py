"""The agency's open invitations (`invitations`) and withdrawing one (revokeInvitation):
listed for owners and admins, refused to viewers; a revoked token no longer works; admins
revoke no owner's invitation; another agency's invitation is NOT_FOUND."""

from __future__ import annotations

import uuid

from tests.support.agency import PASSWORD, add_mate, agency_doc, codes, payload

INVITATIONS = agency_doc("Invitations")


async def _invite(gql, token, role="VIEWER"):
    email = f"pending-{uuid.uuid4().hex[:10]}@ops.example"
    invited = await payload(gql, "InviteOperator", {"email": email, "role": role}, token)
    assert invited["errors"] == [], invited
    return invited


async def _listed(gql, token) -> list[str]:
    return [i["email"] for i in (await gql(INVITATIONS, token=token))["invitations"]]


async def test_open_invitations_are_listed_and_a_revoked_one_no_longer_works(
    gql, services, make_tenant
):
    # given an owner who invited two people, one of whom accepted, and a third
    kit = await make_tenant()
    first = await _invite(gql, kit.operator_token)
    second = await _invite(gql, kit.operator_token, role="ADMIN")
    accepted = await _invite(gql, kit.operator_token)
    taken = await payload(
        gql, "AcceptInvitation", {"token": accepted["token"], "password": PASSWORD}, None
    )
    assert taken["errors"] == []

    # then the open ones are listed, newest first
    open_ = [second["invitation"]["email"], first["invitation"]["email"]]
    assert await _listed(gql, kit.operator_token) == open_

    # when one is revoked
    revoked = await payload(
        gql, "RevokeInvitation", {"id": second["invitation"]["id"]}, kit.operator_token
    )

    # then it is gone from the list, and its token is refused
    assert revoked == {"revokedId": second["invitation"]["id"], "errors": []}
    assert await _listed(gql, kit.operator_token) == [first["invitation"]["email"]]
    late = await payload(
        gql, "AcceptInvitation", {"token": second["token"], "password": PASSWORD}, None
    )
    assert codes(late) == ["NOT_FOUND"]
    again = await payload(
        gql, "RevokeInvitation", {"id": second["invitation"]["id"]}, kit.operator_token
    )
    assert codes(again) == ["NOT_FOUND"]


async def test_the_roles_and_the_agency_boundary_hold(gql, services, make_tenant):
    # given an owner's invitation of an owner, and an admin, a viewer and another agency
    kit = await make_tenant()
    owners = await _invite(gql, kit.operator_token, role="OWNER")
    admin = await add_mate(services, kit, "ADMIN")
    viewer = await add_mate(services, kit, "VIEWER")
    stranger = await make_tenant()
    target = {"id": owners["invitation"]["id"]}

    # then the admin lists it but may not revoke it; the viewer may do neither
    assert owners["invitation"]["email"] in await _listed(gql, admin.token)
    listed = await gql.raw(INVITATIONS, token=viewer.token)
    assert listed.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for token in (admin.token, viewer.token):
        refused = await gql.raw(agency_doc("RevokeInvitation"), {"input": target}, token=token)
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # and another agency's owner neither sees nor revokes it
    assert owners["invitation"]["email"] not in await _listed(gql, stranger.operator_token)
    outside = await payload(gql, "RevokeInvitation", target, stranger.operator_token)
    assert codes(outside) == ["NOT_FOUND"]
    assert owners["invitation"]["email"] in await _listed(gql, kit.operator_token)
