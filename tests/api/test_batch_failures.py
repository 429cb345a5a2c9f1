"""Given a page whose members share one batch read, queried through two lists at once, when
one member's field fails, then the answer is that field's GraphQL error at its path, null
propagated as the schema says: on the query plan, on the direct executor and on strawberry's
own executor alike, and never a server error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any
from uuid import UUID

import pytest

import api.graphql_endpoint as endpoint
from api.member_loaders import MemberLoaders
from api.schema.ids import uuid_of
from persistence.uow import PgUnitOfWorkFactory
from tests.support.gql import GraphQLClient, TenantKit

TWO_LISTS = """
query TwoLists {
  members(first: 20) {
    a: nodes { tier { current { name } } }
    b: nodes { tier { current { name } } history(after: "bad") { pageInfo { hasNextPage } } }
  }
}
"""
# A directive keeps the query from the plan: the direct way's graphql-core executor answers.
TWO_LISTS_EXECUTED = TWO_LISTS.replace("b: nodes {", "b: nodes @include(if: true) {")

PATHS = ["plan", "executor", "strawberry"]


async def _answer(
    gql: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    kit: TenantKit,
    path: str,
    query: str,
) -> tuple[int, dict[str, Any]]:
    """The status and body of `query` answered by one execution path."""
    if path == "strawberry":

        async def strawberry_only(*args: Any, **kwargs: Any) -> None:
            return None

        monkeypatch.setattr(endpoint, "run_cached", strawberry_only)
    if path == "executor":
        query = query.replace("b: nodes {", "b: nodes @include(if: true) {")
    try:
        response = await gql.raw(query, token=kit.secret_key)
    finally:
        monkeypatch.undo()
    return response.status_code, response.json()


@pytest.mark.parametrize("path", PATHS)
async def test_one_failing_member_of_a_shared_batch_answers_its_error_at_its_path(
    gql, tenant, enroll, monkeypatch, path
):
    # given a page of members
    for points in (0, 10, 20):
        await enroll(tenant, points=points)

    # when the page is read through two lists, one member field of which fails
    status, body = await _answer(gql, monkeypatch, tenant, path, TWO_LISTS)

    # then the answer is the history's refusal at its path, nulled up to `members`
    assert status == 200, body
    assert body["data"] == {"members": None}
    errors = body["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["path"][:2] == ["members", "b"]
    assert errors[0]["path"][3] == "history"
    assert errors[0]["extensions"]["code"] == "INVALID"


# --- a DataLoader's read, shared by the members of a list ----------------------------------

CONFIGURE_REFERRALS = """
mutation($input: ConfigureReferralsInput!) { configureReferrals(input: $input) { errors { code } } }
"""
ENROLL = """
mutation($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id referralCode } errors { code } }
}
"""
# Every friend's referrer is the same member: their points are one load of the request's
# DataLoader, awaited by every friend of both lists, and in the second list the referrer's
# history fails.
REFERRER_OF_EACH_FRIEND = """
query Referrers($id: ID!) {
  member(id: $id) {
    referrals(first: 10) {
      a: nodes { referee { referredBy { points { available } } } }
      b: nodes { referee { referredBy {
        points { available } history(after: "bad") { pageInfo { hasNextPage } }
      } } }
    }
  }
}
"""


async def _referrer_with_friends(gql: GraphQLClient, kit: TenantKit, friends: int) -> str:
    configured = await gql(
        CONFIGURE_REFERRALS,
        {"input": {"trigger": "SIGNUP", "refereeReward": {"points": 50}}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert configured["configureReferrals"]["errors"] == []
    made = await gql(ENROLL, {"input": {"externalId": "referrer"}}, token=kit.secret_key)
    referrer = made["enrollMember"]["member"]
    for i in range(friends):
        friend = await gql(
            ENROLL,
            {"input": {"externalId": f"friend-{i}", "referralCode": referrer["referralCode"]}},
            token=kit.secret_key,
        )
        assert friend["enrollMember"]["errors"] == [], friend
    member_id: str = referrer["id"]
    return member_id


@pytest.mark.parametrize("path", PATHS)
async def test_a_load_shared_by_a_lists_members_survives_one_of_them_failing(
    gql, tenant, monkeypatch, path
):
    # given a referrer with three friends
    referrer = await _referrer_with_friends(gql, tenant, 3)

    # when each friend's referrer is read with their points and a history that fails
    if path == "strawberry":

        async def strawberry_only(*args: Any, **kwargs: Any) -> None:
            return None

        monkeypatch.setattr(endpoint, "run_cached", strawberry_only)
    query = REFERRER_OF_EACH_FRIEND
    if path == "executor":
        query = query.replace("b: nodes {", "b: nodes @include(if: true) {")
    response = await gql.raw(query, {"id": referrer}, token=tenant.secret_key)

    # then the first list answers each friend's referrer's points, and in the second each
    # friend's referrer is null with the history's refusal at its path
    assert response.status_code == 200, response.text
    body = response.json()
    referrals = body["data"]["member"]["referrals"]
    assert referrals["a"] == [{"referee": {"referredBy": {"points": {"available": 0}}}}] * 3
    assert referrals["b"] == [{"referee": {"referredBy": None}}] * 3
    paths = sorted(e["path"] for e in body["errors"])
    assert paths == [
        ["member", "referrals", "b", i, "referee", "referredBy", "history"] for i in range(3)
    ]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"INVALID"}


async def test_a_load_cancelled_for_one_item_is_still_answered_to_the_others(
    services, tenant, enroll
):
    # given the request's loaders, and two items of a list loading the same member's balance
    # and standing
    member_id = uuid_of(await enroll(tenant, points=12), "Member")
    registered = await services.registry.get(UUID(tenant.id))
    assert registered is not None
    uow = PgUnitOfWorkFactory(services.pool, registered.schema_name, services.programs)
    loaders = MemberLoaders(uow, services.balances.for_tenant(registered.id), services.clock)
    cancelled = [
        asyncio.ensure_future(_awaited(loaders.balance(member_id, "points"))),
        asyncio.ensure_future(_awaited(loaders.standing(member_id))),
    ]
    waiting = [
        asyncio.ensure_future(_awaited(loaders.balance(member_id, "points"))),
        asyncio.ensure_future(_awaited(loaders.standing(member_id))),
    ]
    await asyncio.sleep(0)

    # when the first item is cancelled (a sibling of it failed) before the loads are read
    for item in cancelled:
        item.cancel()

    # then the other item gets the balance and the standing
    balance, standing = await asyncio.gather(*waiting)
    assert balance.available == 12
    assert standing is None  # the tenant has no tiers
    assert all(item.cancelled() for item in cancelled)


async def _awaited(load: Awaitable[Any]) -> Any:
    return await load
