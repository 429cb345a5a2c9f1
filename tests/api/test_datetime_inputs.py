"""Given a DateTime without a UTC offset, or one whose UTC value lies outside the years the
platform works in (1900 to 8999), when it is sent as a variable or a literal, then it is
refused as INVALID with a message saying the rule, never an unexpected error, and nothing is
written. Times with an offset inside the range are accepted as they were."""

from __future__ import annotations

import uuid

import pytest

from tests.support.earning import RECORD, enroll, fetch, order
from tests.support.paths import PATHS, take

CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""
MEMBERS_ENROLLED_AFTER = """
query MembersEnrolledAfter($after: DateTime) {
  members(first: 5, filter: {enrolledAfter: $after}) { nodes { id } }
}
"""
MEMBERS_ENROLLED_AFTER_LITERAL = """
query MembersEnrolledAfterLiteral {
  members(first: 5, filter: {enrolledAfter: "%s"}) { nodes { id } }
}
"""

REFUSED = [
    pytest.param("2026-01-01T00:00:00", id="no-offset"),
    pytest.param("2026-01-01", id="date-only"),
    pytest.param("0001-01-01T00:00:00+05:00", id="year-1-east"),
    pytest.param("9999-12-31T23:00:00-05:00", id="year-9999-west"),
    pytest.param("1899-12-31T23:59:59Z", id="before-1900"),
    pytest.param("9000-01-01T00:00:00Z", id="year-9000"),
    pytest.param("yesterday", id="not-a-time"),
]


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    take(monkeypatch, request.param)
    return str(request.param)


@pytest.mark.parametrize("placed_at", REFUSED)
async def test_an_order_placed_at_a_time_outside_the_rule_is_invalid(
    gql, services, tenant, path, placed_at
):
    # given a member
    member_id = await enroll(gql, tenant)
    body = order("o-" + uuid.uuid4().hex, member_id, ("a", 1, 1_000))
    body["placedAt"] = placed_at

    # when an order placed at that time is recorded
    errors = await gql.errors(RECORD, {"input": body}, token=tenant.secret_key)

    # then the variable is refused as INVALID, saying what a DateTime must be
    assert [e["extensions"]["code"] for e in errors] == ["INVALID"]
    assert "placedAt" in errors[0]["message"]
    assert "UTC offset" in errors[0]["message"]
    assert await fetch(services, tenant, "SELECT order_id FROM orders") == []


@pytest.mark.parametrize("after", REFUSED)
async def test_a_filter_time_outside_the_rule_is_invalid_as_a_variable_and_a_literal(
    gql, tenant, path, after
):
    # given a tenant
    # when members are filtered by that time, as a variable and written into the document
    as_variable = await gql.errors(
        MEMBERS_ENROLLED_AFTER, {"after": after}, token=tenant.secret_key
    )
    as_literal = await gql.errors(MEMBERS_ENROLLED_AFTER_LITERAL % after, token=tenant.secret_key)

    # then both are refused as INVALID
    assert [e["extensions"]["code"] for e in as_variable] == ["INVALID"]
    assert [e["extensions"]["code"] for e in as_literal] == ["INVALID"]


@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
async def test_a_reward_window_without_an_offset_is_invalid(gql, tenant, path, field):
    # given a tenant
    reward = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100}

    # when a reward is created with a window edge that has no offset
    errors = await gql.errors(
        CREATE_REWARD,
        {"input": {**reward, field: "2026-03-01T00:00:00"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # then it is refused as INVALID, naming the field
    assert [e["extensions"]["code"] for e in errors] == ["INVALID"]
    assert field in errors[0]["message"]


@pytest.mark.parametrize(
    "placed_at", ["2026-01-01T09:30:00+02:00", "2026-01-01T07:30:00Z", "1900-01-01T00:00:00Z"]
)
async def test_times_with_an_offset_in_range_are_accepted(gql, tenant, path, placed_at):
    # given a member
    member_id = await enroll(gql, tenant)
    body = order("o-" + uuid.uuid4().hex, member_id, ("a", 1, 1_000))
    body["placedAt"] = placed_at

    # when an order placed then is recorded
    recorded = (await gql(RECORD, {"input": body}, token=tenant.secret_key))["recordOrder"]

    # then it earns
    assert recorded["errors"] == []
    assert recorded["pointsDelta"] == 10
