"""Segments end to end: the built-ins on both sides of their thresholds as the clock moves,
custom segments kept current on events and by the worker, the members filter, segment(key:)
and rewards kept for segments."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from api.schema.common.ids import from_global_id
from tests.api.test_surveys import create, submit
from tests.api.test_tiers import (
    AVAILABLE,
    CREATE_REWARD,
    RECORD,
    REDEEM,
    adjust,
    join,
    move_to,
    operator,
    order,
    run_worker,
)
from tests.conftest import CLOCK_START
from tests.support.gql import GraphQLClient, TenantKit

SEGMENTS_OF = """
query SegmentsOf($id: ID!) { member(id: $id) { segments } }
"""
SEGMENT = """
query Segment($key: String!, $first: Int, $after: String) {
  segment(key: $key) {
    key name builtin count
    members(first: $first, after: $after) {
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
IN_SEGMENT = """
query InSegment($segment: String!) {
  members(first: 50, filter: { segment: $segment }) { nodes { id } }
}
"""
CREATE_SEGMENT = """
mutation CreateSegment($input: CreateSegmentInput!) {
  createSegment(input: $input) { segment { key name } errors { code field message } }
}
"""
UPDATE_SEGMENT = """
mutation UpdateSegment($input: UpdateSegmentInput!) {
  updateSegment(input: $input) {
    segment { key name rule { condition { field op value } } }
    errors { code field message }
  }
}
"""
DELETE_SEGMENT = """
mutation DeleteSegment($input: DeleteSegmentInput!) {
  deleteSegment(input: $input) { deletedKey errors { code field message } }
}
"""
DAY = timedelta(days=1)


async def segments_of(gql: GraphQLClient, kit: TenantKit, member_id: str) -> list[str]:
    data = await gql(SEGMENTS_OF, {"id": member_id}, token=kit.secret_key)
    found: list[str] = data["member"]["segments"]
    return found


async def buy(
    gql: GraphQLClient, kit: TenantKit, member_id: str, price: int, days_from_start: float
) -> None:
    placed = CLOCK_START + days_from_start * DAY
    data = await gql(
        RECORD, {"input": order(uuid4().hex, member_id, price, placed)}, token=kit.secret_key
    )
    assert data["recordOrder"]["errors"] == [], data


async def members_in(gql: GraphQLClient, kit: TenantKit, segment: str) -> set[str]:
    data = await gql(IN_SEGMENT, {"segment": segment}, token=kit.secret_key)
    return {n["id"] for n in data["members"]["nodes"]}


def balance_at_least(points: int) -> dict[str, Any]:
    return {"condition": {"field": "POINTS_BALANCE", "op": "GTE", "value": points}}


async def test_each_builtin_holds_the_members_on_its_side_of_the_thresholds(clocked, tenant):
    gql = clocked.gql
    # given members enrolled at the start: a regular buyer who stopped (R), one who goes on
    # (S), one whose only order is 200 days old (L), two who never ordered (X, N), a big
    # spender (V) and one just under the VIP spend (W)
    r, s, lapsed, x, v, w = [await join(gql, tenant) for _ in range(6)]
    await buy(gql, tenant, lapsed, 1_000, -200)
    await buy(gql, tenant, v, 100_000, 0)
    await buy(gql, tenant, w, 99_999, 0)
    for day in (0, 10, 20):
        move_to(clocked, CLOCK_START + day * DAY)
        await buy(gql, tenant, r, 1_000, day)
        await buy(gql, tenant, s, 1_000, day)
    move_to(clocked, CLOCK_START + 45 * DAY)
    await buy(gql, tenant, s, 1_000, 45)
    late = await join(gql, tenant)  # enrolled 10 days before the check below

    # when the clock reaches day 55 and the worker passes
    move_to(clocked, CLOCK_START + 55 * DAY)
    report = await run_worker(clocked, tenant)

    # then at-risk: R is 35 days past an order every 10 days (past max(2 x 10, 30)), S not
    assert report.segments_refreshed >= 7
    assert await members_in(gql, tenant, "at-risk") == {r}
    # then lapsed: L's last order is 255 days old; members who never ordered are not yet
    assert await members_in(gql, tenant, "lapsed") == {lapsed}
    # then new: only the member enrolled 10 days ago, not those enrolled 55 days ago
    assert await members_in(gql, tenant, "new") == {late}
    assert "new" not in await segments_of(gql, tenant, x)
    # then vip: exactly the spend of 100000, not one less
    assert await members_in(gql, tenant, "vip") == {v}
    assert await segments_of(gql, tenant, w) == []


async def test_an_order_moves_a_member_at_once_without_the_worker(clocked, tenant):
    gql = clocked.gql
    # given a member long enrolled with one order 200 days old: lapsed
    member = await join(gql, tenant)
    move_to(clocked, CLOCK_START + 250 * DAY)
    await buy(gql, tenant, member, 1_000, 40)
    await run_worker(clocked, tenant)
    assert await segments_of(gql, tenant, member) == ["lapsed"]

    # when the member places an order worth the VIP spend
    await buy(gql, tenant, member, 100_000, 250)

    # then they are VIP and no longer lapsed, before any worker pass
    assert await segments_of(gql, tenant, member) == ["vip"]


async def test_a_custom_segment_is_defined_paged_filtered_changed_and_deleted(clocked, tenant):
    gql = clocked.gql
    # given members with 150, 50 and 200 points
    rich, poor, richer = [await join(gql, tenant, points) for points in (150, 50, 200)]

    # when an operator defines "balance at least 100" and the worker passes
    created = await operator(
        gql,
        tenant,
        CREATE_SEGMENT,
        {"input": {"key": "Rich", "name": "Rich", "rule": balance_at_least(100)}},
    )
    assert created["createSegment"] == {"segment": {"key": "rich", "name": "Rich"}, "errors": []}
    await run_worker(clocked, tenant)

    # then segment(key:) counts two and pages them in enrolment order
    first = (await gql(SEGMENT, {"key": "rich", "first": 1}, token=tenant.secret_key))["segment"]
    assert (first["count"], first["builtin"]) == ("2", False)
    assert [n["id"] for n in first["members"]["nodes"]] == [rich]
    assert first["members"]["pageInfo"]["hasNextPage"] is True
    cursor = first["members"]["pageInfo"]["endCursor"]
    second = await gql(
        SEGMENT, {"key": "rich", "first": 1, "after": cursor}, token=tenant.secret_key
    )
    assert [n["id"] for n in second["segment"]["members"]["nodes"]] == [richer]
    assert second["segment"]["members"]["pageInfo"]["hasNextPage"] is False
    # then the members filter and member { segments } agree
    assert await members_in(gql, tenant, "rich") == {rich, richer}
    assert await segments_of(gql, tenant, poor) == ["new"]

    # when the poor member earns 60 points (an event)
    await adjust(gql, tenant, poor, 60)

    # then they are in it at once
    assert await segments_of(gql, tenant, poor) == ["new", "rich"]

    # when the threshold is raised to 180 and the worker passes
    updated = await operator(
        gql, tenant, UPDATE_SEGMENT, {"input": {"key": "rich", "rule": balance_at_least(180)}}
    )
    assert updated["updateSegment"]["errors"] == []
    assert updated["updateSegment"]["segment"]["name"] == "Rich"  # left out: kept
    await run_worker(clocked, tenant)

    # then only the member with 200 points is left
    assert await members_in(gql, tenant, "rich") == {richer}

    # when it is deleted
    deleted = await operator(gql, tenant, DELETE_SEGMENT, {"input": {"key": "rich"}})

    # then it is gone, with its members; a built-in cannot be deleted
    assert deleted["deleteSegment"] == {"deletedKey": "rich", "errors": []}
    assert (await gql(SEGMENT, {"key": "rich"}, token=tenant.secret_key))["segment"] is None
    assert await segments_of(gql, tenant, richer) == ["new"]
    builtin = await operator(gql, tenant, DELETE_SEGMENT, {"input": {"key": "vip"}})
    assert builtin["deleteSegment"]["errors"][0]["code"] == "INVALID"


async def test_a_builtin_threshold_is_configurable(clocked, tenant):
    gql = clocked.gql
    # given a member who spent 5000
    member = await join(gql, tenant)
    await buy(gql, tenant, member, 5_000, 0)
    assert "vip" not in await segments_of(gql, tenant, member)

    # when the tenant lowers the VIP spend to 5000
    rule = {"condition": {"field": "LIFETIME_SPEND", "op": "GTE", "value": 5_000}}
    updated = await operator(gql, tenant, UPDATE_SEGMENT, {"input": {"key": "vip", "rule": rule}})
    assert updated["updateSegment"]["errors"] == []
    await run_worker(clocked, tenant)

    # then the member is VIP
    assert "vip" in await segments_of(gql, tenant, member)


async def test_a_reward_kept_for_a_segment_is_offered_and_redeemable_only_by_its_members(
    clocked, tenant
):
    gql = clocked.gql
    # given a segment "rich" (100 points or more), a member in it and one not
    await operator(
        gql,
        tenant,
        CREATE_SEGMENT,
        {"input": {"key": "rich", "name": "Rich", "rule": balance_at_least(100)}},
    )
    inside, outside = await join(gql, tenant, 150), await join(gql, tenant, 90)
    await run_worker(clocked, tenant)
    # and a reward for the segment, and one open to all
    rewards = {}
    for name, segments in (("Rich gift", ["rich"]), ("Open gift", [])):
        data = await gql(
            CREATE_REWARD,
            {
                "input": {
                    "name": name,
                    "kind": "CUSTOM",
                    "pointsCost": 10,
                    "eligibleSegments": segments,
                }
            },
            token=tenant.secret_key,
        )
        assert data["createReward"]["errors"] == [], data
        rewards[name] = data["createReward"]["reward"]["id"]

    # when each lists the rewards available to them
    offered = {}
    for member in (inside, outside):
        data = await gql(AVAILABLE, {"id": member}, token=tenant.secret_key)
        offered[member] = {x["reward"]["name"] for x in data["member"]["availableRewards"]}

    # then the segment's reward is offered to its member only
    assert offered[inside] == {"Rich gift", "Open gift"}
    assert offered[outside] == {"Open gift"}

    # when each redeems the segment's reward
    results = {}
    for member in (inside, outside):
        data = await gql(
            REDEEM,
            {"input": {"rewardId": rewards["Rich gift"], "memberId": member}},
            token=tenant.secret_key,
        )
        results[member] = data["redeemReward"]

    # then the member outside is refused with a typed error, the member inside gets a code
    assert results[inside]["errors"] == [] and results[inside]["redemption"]["code"]
    assert results[outside]["redemption"] is None
    assert results[outside]["errors"] == [
        {
            "code": "NOT_ELIGIBLE",
            "field": ["input", "rewardId"],
            "message": "This reward is for members of other segments.",
        }
    ]
    # and the open reward stays open to all
    open_gift = await gql(
        REDEEM,
        {"input": {"rewardId": rewards["Open gift"], "memberId": outside}},
        token=tenant.secret_key,
    )
    assert open_gift["redeemReward"]["errors"] == []


PAGE_SEGMENTS = """
query PageSegments { members(first: 50) { nodes { id segments } } }
"""


async def test_a_page_of_members_lists_each_members_segments(clocked, tenant):
    gql = clocked.gql
    # given a VIP member and a member who is only new
    vip, plain = await join(gql, tenant), await join(gql, tenant)
    await buy(gql, tenant, vip, 100_000, 0)

    # when a page of members is read with their segments
    data = await gql(PAGE_SEGMENTS, {}, token=tenant.secret_key)

    # then each member shows their own
    found = {n["id"]: n["segments"] for n in data["members"]["nodes"]}
    assert found == {vip: ["new", "vip"], plain: ["new"]}


UPDATE_MEMBER = """
mutation UpdateMember($input: UpdateMemberInput!) {
  updateMember(input: $input) { errors { code message } }
}
"""
ERASE_MEMBER = """
mutation EraseMember($input: EraseMemberInput!) {
  eraseMember(input: $input) { errors { code message } }
}
"""


async def test_a_birthday_given_and_an_erasure_move_the_member_at_once(clocked, tenant):
    gql = clocked.gql
    # given a segment of December birthdays and a member without a birthday
    december = {"condition": {"field": "BIRTHDAY_MONTH", "op": "EQ", "value": 12}}
    created = await operator(
        gql,
        tenant,
        CREATE_SEGMENT,
        {"input": {"key": "december", "name": "December", "rule": december}},
    )
    assert created["createSegment"]["errors"] == []
    member = await join(gql, tenant)
    assert await segments_of(gql, tenant, member) == ["new"]

    # when the member's birthday is given as 24 December
    given = {"input": {"id": member, "birthday": "1990-12-24"}}
    assert (await gql(UPDATE_MEMBER, given, token=tenant.secret_key))["updateMember"] == {
        "errors": []
    }

    # then they are in the segment, without a worker pass
    assert await segments_of(gql, tenant, member) == ["december", "new"]

    # when the member is erased
    erased = await gql(ERASE_MEMBER, {"input": {"id": member}}, token=tenant.secret_key)
    assert erased["eraseMember"]["errors"] == []

    # then they are in no segment
    assert await segments_of(gql, tenant, member) == []
    assert await members_in(gql, tenant, "new") == set()


async def test_the_pass_leaves_a_member_an_event_is_changing_to_that_event(clocked, tenant):
    gql = clocked.gql
    # given a segment of members with 100 points or more, and two members in it whose
    # memberships were forgotten (so only a refresh writes them)
    await operator(
        gql,
        tenant,
        CREATE_SEGMENT,
        {"input": {"key": "rich", "name": "Rich", "rule": balance_at_least(100)}},
    )
    busy, idle = await join(gql, tenant, 150), await join(gql, tenant, 150)
    schema = (await clocked.services.registry.get(UUID(tenant.id))).schema_name
    async with clocked.services.pool.acquire() as conn:
        await conn.execute(f"DELETE FROM {schema}.segment_members WHERE segment_key = 'rich'")
    # and a transaction in the middle of changing the busy member's points
    async with clocked.services.pool.acquire() as event:
        transaction = event.transaction()
        await transaction.start()
        await event.execute(
            f"SELECT 1 FROM {schema}.balances WHERE member_id = $1 FOR UPDATE",
            UUID(from_global_id(busy)[1]),
        )

        # when the worker's pass runs meanwhile
        await asyncio.wait_for(run_worker(clocked, tenant), timeout=10)
        await transaction.rollback()

    # then it did not wait for the event: it refreshed the idle member, not the busy one
    assert await members_in(gql, tenant, "rich") == {idle}


async def test_an_nps_group_segment_follows_the_members_latest_answer(clocked, tenant):
    gql = clocked.gql
    # given a segment of NPS promoters, an NPS survey and two members
    rule = {"condition": {"field": "NPS_GROUP", "op": "EQ", "text": "PROMOTER"}}
    made = await operator(
        gql, tenant, CREATE_SEGMENT, {"input": {"key": "fans", "name": "Fans", "rule": rule}}
    )
    assert made["createSegment"]["errors"] == [], made
    survey = await create(gql, tenant)
    fan, critic = await join(gql, tenant, 0), await join(gql, tenant, 0)

    # when one answers 10 and the other 4
    for member, score in ((fan, 10), (critic, 4)):
        answered = await submit(gql, tenant.secret_key, survey["id"], score, memberId=member)
        assert answered["errors"] == [], answered

    # then at once only the promoter is a fan
    assert await members_in(gql, tenant, "fans") == {fan}

    # when the fan answers again, 3
    again = await submit(gql, tenant.secret_key, survey["id"], 3, memberId=fan)
    assert again["errors"] == [], again

    # then the latest answer counts: no fan is left
    assert await members_in(gql, tenant, "fans") == set()
