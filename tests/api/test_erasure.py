"""A data-erasure request: the member's personal data is gone, the ledger stays exact."""

from __future__ import annotations

import uuid

import pytest

from api.schema.common.ids import to_global_id
from tests.conftest import ADJUST, ENROLL
from tests.support.ledger_checks import assert_ledger_matches_balances

ERASE = """
mutation Erase($input: EraseMemberInput!) {
  eraseMember(input: $input) {
    member { id externalId email name birthday status }
    errors { code field message }
  }
}
"""

MEMBER = """
query Member($id: ID!) {
  member(id: $id) {
    externalId email name birthday status
    points { available lifetime }
    history(first: 10) { nodes { kind points } }
  }
}
"""

BY_EXTERNAL_ID = """
query ByExternalId($externalId: String!) { member(externalId: $externalId) { id } }
"""


async def test_erasing_clears_personal_data_and_keeps_the_ledger(gql, tenant, services):
    # given a member with points and every personal field
    enrolled = await gql(
        ENROLL,
        {
            "input": {
                "externalId": "erase-me",
                "email": "erase@example.com",
                "name": "Erase Me",
                "birthday": "1990-04-01",
            }
        },
        token=tenant.secret_key,
    )
    member_id = enrolled["enrollMember"]["member"]["id"]
    await gql(ADJUST, {"input": {"memberId": member_id, "points": 40}}, token=tenant.secret_key)

    # when the storefront asks to erase the member
    payload = (await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key))[
        "eraseMember"
    ]

    # then the personal fields are gone and the member is erased
    assert payload["errors"] == []
    assert payload["member"] == {
        "id": member_id,
        "externalId": None,
        "email": None,
        "name": None,
        "birthday": None,
        "status": "ERASED",
    }
    # and nobody finds it by its old store id, which a new member may take
    assert (await gql(BY_EXTERNAL_ID, {"externalId": "erase-me"}, token=tenant.secret_key))[
        "member"
    ] is None
    again = await gql(
        ENROLL,
        {"input": {"externalId": "erase-me", "email": "erase@example.com"}},
        token=tenant.secret_key,
    )
    assert again["enrollMember"]["errors"] == []
    # and the ledger is as it was, and still agrees with the balance
    state = (await gql(MEMBER, {"id": member_id}, token=tenant.secret_key))["member"]
    assert state["points"] == {"available": 40, "lifetime": 40}
    assert state["history"]["nodes"] == [{"kind": "ADJUST", "points": 40}]
    await assert_ledger_matches_balances(services, tenant)


async def test_an_erased_member_earns_and_spends_no_more_and_erasing_again_changes_nothing(
    gql, tenant, enroll
):
    # given an erased member with points
    member_id = await enroll(tenant, points=30)
    await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key)

    # when points are added or taken, and it is erased again
    for points in (10, -10):
        adjusted = (
            await gql(
                ADJUST,
                {"input": {"memberId": member_id, "points": points}},
                token=tenant.secret_key,
            )
        )["adjustPoints"]
        # then each change is refused
        assert [e["code"] for e in adjusted["errors"]] == ["MEMBER_NOT_ACTIVE"]
    second = (await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key))[
        "eraseMember"
    ]

    # and erasing again answers the same erased member
    assert second["errors"] == []
    assert second["member"]["status"] == "ERASED"
    state = (await gql(MEMBER, {"id": member_id}, token=tenant.secret_key))["member"]
    assert state["points"] == {"available": 30, "lifetime": 30}


@pytest.mark.parametrize(
    ("which", "code"),
    [("malformed", "INVALID_ID"), ("unknown", "NOT_FOUND"), ("other-tenant", "NOT_FOUND")],
)
async def test_erasing_an_unknown_or_malformed_id_is_a_typed_error(
    gql, make_tenant, enroll, which, code
):
    # given a tenant with a member, and an id that is malformed, unknown, or another tenant's
    kit = await make_tenant()
    mine = await enroll(kit)
    other_tenant = await make_tenant()
    bad_id = {
        "malformed": "not-an-id",
        "unknown": to_global_id("Member", uuid.uuid4()),
        "other-tenant": await enroll(other_tenant),
    }[which]

    # when it is erased
    payload = (await gql(ERASE, {"input": {"id": bad_id}}, token=kit.secret_key))["eraseMember"]

    # then the error is typed and names the field, and nothing is erased
    assert payload["member"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, ["input", "id"])]
    assert (await gql(MEMBER, {"id": mine}, token=kit.secret_key))["member"]["status"] == "ACTIVE"
    if which == "other-tenant":
        theirs = await gql(MEMBER, {"id": bad_id}, token=other_tenant.secret_key)
        assert theirs["member"]["status"] == "ACTIVE"
