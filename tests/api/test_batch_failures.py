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

import api.http.graphql_endpoint as endpoint
from api.member_loaders import MemberLoaders
from api.schema.common.ids import uuid_of
from api.schema.members import member_type
from api.services import Services
from domain.errors import NotFound
from engine import query_plan
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
# The same beside another root field, which the failure must leave answered.
TWO_LISTS_AND_PROGRAM = TWO_LISTS.replace(
    "query TwoLists {", "query TwoListsAndProgram {\n  program { currency }"
)

PATHS = ["plan", "executor", "strawberry"]


async def _answer(
    gql: GraphQLClient,
    kit: TenantKit,
    path: str,
    query: str,
    variables: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The status and body of `query` answered by one execution path: the query plan (with
    the executor after it when it gives up), the direct way's graphql-core executor (a
    directive keeps a query from the plan), or strawberry's `Schema.execute` alone."""
    with pytest.MonkeyPatch.context() as patch:
        if path == "strawberry":
            patch.setattr(endpoint, "run_cached", _strawberry_only)
        if path == "executor":
            # on the root field's line, below which the errors are: their locations stay
            operation, root, rest = query.split("{\n", 2)
            query = f"{operation}{{\n{root}@include(if: true) {{\n{rest}"
        response = await gql.raw(query, variables, token=kit.secret_key)
    return response.status_code, response.json()


def _without_request_ids(body: dict[str, Any]) -> dict[str, Any]:
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return body


# Each of a page's batches (api/member_loaders.py), read by two lists of the same members.
BATCHED_FIELDS = {
    "tier": "tier { current { name } }",
    "points": "points { available }",
    "availableRewards": "availableRewards { canRedeem }",
}


def _two_lists(field: str) -> str:
    return TWO_LISTS.replace("tier { current { name } }", BATCHED_FIELDS[field])


@pytest.mark.parametrize("field", BATCHED_FIELDS)
@pytest.mark.parametrize("path", PATHS)
async def test_one_failing_member_of_a_shared_batch_answers_its_error_at_its_path(
    gql, tenant, enroll, path, field
):
    # given a page of members
    for points in (0, 10, 20):
        await enroll(tenant, points=points)

    # when the page is read through two lists, one member field of which fails
    status, body = await _answer(gql, tenant, path, _two_lists(field))

    # then the answer is the history's refusal at its path, nulled up to `members` (a
    # member of `b` is non-null, and so is `b`)
    assert status == 200, body
    assert body["data"] == {"members": None}
    errors = body["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["path"] == ["members", "b", errors[0]["path"][2], "history"]
    assert errors[0]["extensions"]["code"] == "INVALID"


async def test_every_path_answers_a_failing_member_of_a_shared_batch_alike(gql, tenant, enroll):
    # given a page of members
    for points in (0, 10, 20):
        await enroll(tenant, points=points)

    # when the page is read through two lists beside the program, on every path
    answers = [await _answer(gql, tenant, path, TWO_LISTS_AND_PROGRAM) for path in PATHS]

    # then every path answers the same: the program, and the history's refusal
    plan, executor, strawberry = answers
    assert plan == executor == strawberry
    status, body = plan
    assert status == 200
    assert body["data"]["program"] == {"currency": "USD"}
    assert body["data"]["members"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID"]


# --- a shared read cancelled under the page --------------------------------------------------

TIERS_PAGE = """
query TiersPage {
  members(first: 20) {
    nodes { id tier { current { name } } }
  }
}
"""


async def _read_cancelled(self: MemberLoaders, member_ids: Any) -> Any:
    """The page's read of its standings, cancelled under it (as a shared read would be,
    were it not shielded, when one of the page's members is cancelled)."""
    raise asyncio.CancelledError


async def test_a_read_cancelled_under_a_page_is_each_members_error_not_a_crash(
    gql, tenant, enroll, monkeypatch
):
    # given a page of members whose shared read of their tiers gets cancelled
    members = [await enroll(tenant, points=points) for points in (0, 10)]
    monkeypatch.setattr(MemberLoaders, "read_standings", _read_cancelled)

    # when the page is read, on every path
    answers = [(path, *await _answer(gql, tenant, path, TIERS_PAGE)) for path in PATHS]

    # then every path answers each member with a null tier and a masked error at its path,
    # with the request id, and no server error
    for path, status, body in answers:
        assert status == 200, (path, body)
        assert body["data"] == {"members": {"nodes": [{"id": m, "tier": None} for m in members]}}, (
            path
        )
        errors = sorted(body["errors"], key=lambda e: e["path"])
        assert [e["path"] for e in errors] == [["members", "nodes", i, "tier"] for i in (0, 1)]
        assert {e["extensions"]["code"] for e in errors} == {"INTERNAL"}
        assert all(e["extensions"]["requestId"] for e in errors)
    bodies = [_without_request_ids(body) for _, _, body in answers]
    assert bodies[0] == bodies[1] == bodies[2]


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
async def test_a_load_shared_by_a_lists_members_survives_one_of_them_failing(gql, tenant, path):
    # given a referrer with three friends
    referrer = await _referrer_with_friends(gql, tenant, 3)

    # when each friend's referrer is read with their points and a history that fails
    status, body = await _answer(gql, tenant, path, REFERRER_OF_EACH_FRIEND, {"id": referrer})

    # then the first list answers each friend's referrer's points, and in the second each
    # friend's referrer is null with the history's refusal at its path
    assert status == 200, body
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
    loaders = await _loaders(services, tenant)
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


async def test_a_load_no_item_waits_for_is_cancelled_and_loaded_anew(services, tenant, enroll):
    # given the request's loaders, and every item loading a member's balance cancelled
    member_id = uuid_of(await enroll(tenant, points=5), "Member")
    loaders = await _loaders(services, tenant)
    gone = [asyncio.ensure_future(_awaited(loaders.balance(member_id, "points"))) for _ in range(2)]
    await asyncio.sleep(0)
    for item in gone:
        item.cancel()
    await asyncio.gather(*gone, return_exceptions=True)

    # when another item loads it
    balance = await loaders.balance(member_id, "points")

    # then it is read anew, not answered with the cancelled load
    assert balance.available == 5


async def _loaders(services: Services, kit: TenantKit) -> MemberLoaders:
    registered = await services.registry.get(UUID(kit.id))
    assert registered is not None
    uow = PgUnitOfWorkFactory(services.pool, registered.schema_name, services.programs)
    return MemberLoaders(uow, services.balances.for_tenant(registered.id), services.clock)


async def _awaited(load: Awaitable[Any]) -> Any:
    return await load


# --- a mutation whose payload's read is cancelled under it ---------------------------------

ENROLL_WITH_TIER = """
mutation EnrollWithTier($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { externalId tier { current { name } } } errors { code } }
}
"""
COUNT = "query Count { members(first: 50) { nodes { externalId } } }"


async def _standing_cancelled(*args: Any, **kwargs: Any) -> Any:
    raise asyncio.CancelledError


@pytest.mark.parametrize("path", PATHS)
async def test_a_mutation_whose_payload_read_is_cancelled_runs_once_and_answers(
    gql, tenant, monkeypatch, path
):
    # given a member's tier whose read gets cancelled under the request
    monkeypatch.setattr(member_type, "member_standing", _standing_cancelled)

    # when a member is enrolled and the payload asks for their tier
    with pytest.MonkeyPatch.context() as patch:
        if path == "strawberry":
            patch.setattr(endpoint, "run_cached", _strawberry_only)
        query = ENROLL_WITH_TIER
        if path == "executor":  # a directive keeps the mutation from its plan
            query = query.replace("member {", "member @include(if: true) {")
        response = await gql.raw(query, {"input": {"externalId": "once"}}, token=tenant.secret_key)

    # then the member is enrolled once, and the tier is null with a masked error at its path
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["enrollMember"] == {
        "member": {"externalId": "once", "tier": None},
        "errors": [],
    }
    assert [e["path"] for e in body["errors"]] == [["enrollMember", "member", "tier"]]
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    listed = await gql(COUNT, token=tenant.secret_key)
    assert listed["members"]["nodes"] == [{"externalId": "once"}]


async def _strawberry_only(*args: Any, **kwargs: Any) -> None:
    return None


# --- a client that goes away while its page's read is in flight ----------------------------

PAGE = """
query Page {
  members(first: 20) {
    nodes { externalId points { available } tier { current { name } } }
  }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code } }
}
"""


async def _settled(services: Services, idle: int) -> None:
    """Waits until the pool has `idle` connections again (a read left running finishes)."""
    for _ in range(200):
        if services.pool.get_idle_size() >= idle:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the pool kept {idle - services.pool.get_idle_size()} connections")


async def test_a_client_gone_mid_page_leaves_nothing_broken_for_the_next_requests(
    gql, services, tenant, enroll, monkeypatch
):
    # given a page of members in a tier, read once
    created = await gql(
        CREATE_TIER,
        {"input": {"name": "Silver", "threshold": 10}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert created["createTier"]["errors"] == []
    for i, points in enumerate((5, 15, 25)):
        await enroll(tenant, f"m{i}", points=points)
    before = await gql(PAGE, token=tenant.secret_key)
    idle = services.pool.get_idle_size()
    # and the page's read of its tiers held in flight
    original = MemberLoaders.read_standings
    started, release = asyncio.Event(), asyncio.Event()

    async def held(self: MemberLoaders, member_ids: Any) -> Any:
        reading = asyncio.ensure_future(original(self, member_ids))
        started.set()
        await release.wait()
        return await reading

    monkeypatch.setattr(MemberLoaders, "read_standings", held)

    # when the client goes away while the read is in flight (the request's task cancelled)
    request = asyncio.ensure_future(gql.raw(PAGE, token=tenant.secret_key))
    await asyncio.wait_for(started.wait(), 30)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    release.set()
    await _settled(services, idle)
    monkeypatch.undo()

    # then the next requests are answered in full, as before, from every path
    for path in PATHS:
        status, body = await _answer(gql, tenant, path, PAGE)
        assert status == 200, body
        assert body == {"data": before}, path
    assert not services.balances.breaker.open


# --- other failures inside a page's batches ------------------------------------------------

POINTS_IN_A_WALLET = """
query PointsInAWallet {
  members(first: 20) {
    nodes { externalId points(wallet: "miles") { available } }
  }
}
"""
TIERS_OF_A_PAGE = """
query TiersOfAPage {
  members(first: 20) {
    nodes { externalId tier { current { name } } }
  }
}
"""


def _answered_alike(answers: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The one body every path answered, without its request ids, after a 200 on each."""
    bodies = []
    for status, body in answers:
        assert status == 200, body
        bodies.append(_without_request_ids(body))
    assert bodies[0] == bodies[1] == bodies[2]
    return bodies[0]


async def test_a_refusal_by_a_batch_resolver_is_each_members_typed_error(gql, tenant, enroll):
    # given a page of members
    for i in range(2):
        await enroll(tenant, f"w{i}")

    # when the page asks for their points in a wallet the program does not have (refused
    # by the batch resolver before anything is read), on every path
    body = _answered_alike([await _answer(gql, tenant, p, POINTS_IN_A_WALLET) for p in PATHS])

    # then the first member's refusal nulls the page (points is non-null, and so are the
    # nodes), typed, at that member's path
    [error] = body["errors"]
    assert error["path"] == ["members", "nodes", error["path"][2], "points"]
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"]["field"] == ["wallet"]
    assert body["data"] == {"members": None}


async def _refused_read(self: MemberLoaders, member_ids: Any) -> Any:
    raise NotFound("The page's tiers are gone.", field=("tier",))


async def test_a_refusal_inside_a_batch_read_is_each_members_typed_error(
    gql, tenant, enroll, monkeypatch
):
    # given a page of members whose shared read of their tiers is refused by the domain
    for i in range(2):
        await enroll(tenant, f"r{i}")
    monkeypatch.setattr(MemberLoaders, "read_standings", _refused_read)

    # when the page is read, on every path
    body = _answered_alike([await _answer(gql, tenant, p, TIERS_OF_A_PAGE) for p in PATHS])

    # then each member's tier is null with the refusal, typed, at its own path
    assert body["data"] == {
        "members": {"nodes": [{"externalId": f"r{i}", "tier": None} for i in (0, 1)]}
    }
    errors = sorted(body["errors"], key=lambda e: e["path"])
    assert [e["path"] for e in errors] == [["members", "nodes", i, "tier"] for i in (0, 1)]
    assert {e["extensions"]["code"] for e in errors} == {"NOT_FOUND"}


broken_answers: list[int] = []


def _one_too_few(members: list[Any], ctx: Any, arguments: dict[str, Any]) -> list[Any]:
    broken_answers.append(len(members))
    return [None] * (len(members) - 1)


async def test_a_batch_resolver_answering_the_wrong_count_leaves_the_answer_to_the_executor(
    gql, tenant, enroll, monkeypatch
):
    # given a page of members in a tier, and its answer
    created = await gql(
        CREATE_TIER,
        {"input": {"name": "Silver", "threshold": 10}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert created["createTier"]["errors"] == []
    for i, points in enumerate((5, 15)):
        await enroll(tenant, f"c{i}", points=points)
    expected = await gql(TIERS_OF_A_PAGE, token=tenant.secret_key)

    # when the tier's batch resolver answers one value too few (a query the plan compiles
    # anew, with the broken resolver)
    batch_resolver = query_plan._batch_resolver

    def broken(field_def: Any) -> Any:
        found = batch_resolver(field_def)
        return _one_too_few if found is member_type._tiers_of_page else found

    monkeypatch.setattr(query_plan, "_batch_resolver", broken)
    fresh = TIERS_OF_A_PAGE.replace("TiersOfAPage", "TiersOfAPageAgain")
    status, body = await _answer(gql, tenant, "plan", fresh)

    # then the plan gives up and the executor answers each member as before
    assert status == 200, body
    assert body == {"data": expected}
    assert [n["tier"] for n in expected["members"]["nodes"]] == [
        {"current": None},
        {"current": {"name": "Silver"}},
    ]
    assert broken_answers == [2]  # the plan did ask the broken resolver
