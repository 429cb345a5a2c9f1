"""Given members whose names, emails and external ids hold LIKE's special characters, when
the members are searched, then `%`, `_` and `\\` match only themselves: a search is for the
text typed, never a pattern."""

from __future__ import annotations

import pytest

from tests.conftest import ENROLL
from tests.support.gql import GraphQLClient, TenantKit

SEARCH = """
query Search($search: String) {
  members(first: 50, filter: {search: $search}) { nodes { externalId } }
}
"""
REWARD_SEARCH = """
query RewardSearch($search: String) {
  rewards(first: 50, filter: {search: $search}) { nodes { name } }
}
"""
CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""

MEMBERS = {
    "percent": {"name": "Ann 100% Cotton"},
    "underscore": {"email": "snake_case@shop.example"},
    "backslash": {"name": "Back\\slash"},
    "plain": {"name": "Plain Ann", "email": "plain@shop.example"},
    "other": {"name": "Bob Cotton", "email": "snakeXcase@shop.example"},
}


async def _enrolled(gql: GraphQLClient, kit: TenantKit) -> None:
    for external_id, fields in MEMBERS.items():
        data = await gql(
            ENROLL, {"input": {"externalId": external_id, **fields}}, token=kit.secret_key
        )
        assert data["enrollMember"]["errors"] == [], data


@pytest.fixture(scope="module")
async def shop(gql, make_tenant) -> TenantKit:
    kit = await make_tenant()
    await _enrolled(gql, kit)
    return kit


async def _found(gql: GraphQLClient, kit: TenantKit, search: str) -> set[str]:
    data = await gql(SEARCH, {"search": search}, token=kit.secret_key)
    return {n["externalId"] for n in data["members"]["nodes"]}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("%", {"percent"}),
        ("100%", {"percent"}),
        ("_", {"underscore"}),
        ("snake_case", {"underscore"}),
        ("\\", {"backslash"}),
        ("%Cotton", set()),
        ("Ann", {"percent", "plain"}),
        ("cotton", {"percent", "other"}),
    ],
)
async def test_wildcards_in_a_member_search_are_literal_characters(gql, shop, search, expected):
    # given members with %, _ and \ in their names and emails
    # when the members are searched for the text
    found = await _found(gql, shop, search)

    # then only members whose name, email or external id holds that text are found
    assert found == expected


async def test_wildcards_in_a_reward_search_are_literal_characters(gql, tenant):
    # given two rewards, one with % in its name
    for name in ("10% off", "Free shipping"):
        created = await gql(
            CREATE_REWARD,
            {"input": {"name": name, "kind": "FREE_SHIPPING", "pointsCost": 100}},
            token=tenant.operator_token,
            tenant=tenant.slug,
        )
        assert created["createReward"]["errors"] == [], created

    # when the rewards are searched for %
    data = await gql(
        REWARD_SEARCH, {"search": "%"}, token=tenant.operator_token, tenant=tenant.slug
    )

    # then only the reward with % in its name is found
    assert [n["name"] for n in data["rewards"]["nodes"]] == ["10% off"]
