"""`me` asked only for what the member's id answers (points, history, tiers) reads no member
row; asked for the member's own fields, through fragments too, it reads the row as before.
An erased member's token still reads its balance, as it did."""

from __future__ import annotations

import uuid

from api.schema.common.ids import uuid_of
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.processes import while_table_is_locked

ISSUE_MEMBER_TOKEN = """
mutation IssueMemberToken($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code field message } }
}
"""
ERASE = """
mutation Erase($input: EraseMemberInput!) {
  eraseMember(input: $input) { member { id status } errors { code field message } }
}
"""
ME_POINTS = """
query MePoints { me { id __typename points { available pending } } }
"""
ME_POINTS_AND_HISTORY = """
query MePointsAndHistory {
  me { ... on Member { points { available } } ...Ledger }
}
fragment Ledger on Member { history(first: 5) { nodes { points } } }
"""
ME_NAME_IN_FRAGMENT = """
query MeNameInFragment { me { points { available } ...Who } }
fragment Who on Member { externalId status }
"""
ME_NAME_IN_INLINE_FRAGMENT = """
query MeNameInInlineFragment { me { points { available } ... on Member { externalId } } }
"""


async def _member_token(gql: GraphQLClient, kit: TenantKit, member_id: str) -> str:
    data = await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}, token=kit.secret_key)
    assert data["issueMemberToken"]["errors"] == []
    token: str = data["issueMemberToken"]["token"]
    return token


async def test_me_asked_for_points_only_reads_no_member_row(gql, tenant, enroll, services):
    # given a member with points, and a token for them
    member_id = await enroll(tenant, points=25)
    token = await _member_token(gql, tenant, member_id)

    # when `me { id points }` is asked while the members table is locked
    data, waited = await while_table_is_locked(
        services, tenant, "members", lambda: gql(ME_POINTS, token=token)
    )

    # then it answers without waiting for the table, from the id alone
    assert not waited
    assert data == {
        "me": {"id": member_id, "__typename": "Member", "points": {"available": 25, "pending": 0}}
    }


async def test_me_asked_for_points_and_history_through_fragments_reads_no_member_row(
    gql, tenant, enroll, services
):
    # given a member with two ledger entries
    member_id = await enroll(tenant, points=10)
    await _adjust(gql, tenant, member_id, 5)
    token = await _member_token(gql, tenant, member_id)

    # when points and history are asked through an inline fragment and a named one
    data, waited = await while_table_is_locked(
        services, tenant, "members", lambda: gql(ME_POINTS_AND_HISTORY, token=token)
    )

    # then both come back without the member row
    assert not waited
    assert data == {
        "me": {"points": {"available": 15}, "history": {"nodes": [{"points": 5}, {"points": 10}]}}
    }


async def test_me_asked_for_its_own_fields_in_a_fragment_reads_the_row(
    gql, tenant, enroll, services
):
    # given a member with an externalId
    external_id = "frag-" + uuid.uuid4().hex
    member_id = await enroll(tenant, external_id=external_id, points=3)
    token = await _member_token(gql, tenant, member_id)

    # when the member's own fields are asked inside a named and an inline fragment
    named = await gql(ME_NAME_IN_FRAGMENT, token=token)
    inline = await gql(ME_NAME_IN_INLINE_FRAGMENT, token=token)

    # then they are the row's, next to the balance
    assert named == {
        "me": {"points": {"available": 3}, "externalId": external_id, "status": "ACTIVE"}
    }
    assert inline == {"me": {"points": {"available": 3}, "externalId": external_id}}

    # and with the members table locked, the same query waits for the row, then answers
    again, waited = await while_table_is_locked(
        services, tenant, "members", lambda: gql(ME_NAME_IN_FRAGMENT, token=token)
    )
    assert waited
    assert again == named


async def test_an_erased_members_token_still_reads_its_balance_and_status(gql, tenant, enroll):
    # given a member with points and a token, then erased
    member_id = await enroll(tenant, points=12)
    token = await _member_token(gql, tenant, member_id)
    erased = await gql(ERASE, {"input": {"id": member_id}}, token=tenant.secret_key)
    assert erased["eraseMember"]["errors"] == []

    # when the token asks for its points alone, and for its status
    points_only = await gql(ME_POINTS, token=token)
    with_status = await gql(ME_NAME_IN_FRAGMENT, token=token)

    # then the ledger stays readable, as it did before `me { points }` skipped the row
    assert points_only["me"]["points"] == {"available": 12, "pending": 0}
    assert points_only["me"]["id"] == member_id
    assert with_status["me"] == {
        "points": {"available": 12},
        "externalId": None,
        "status": "ERASED",
    }
    assert uuid_of(points_only["me"]["id"], "Member")  # the same global id form as before


ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { errors { code field message } }
}
"""


async def _adjust(gql: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> None:
    data = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    assert data["adjustPoints"]["errors"] == []
