"""Shared steps of the rewards tests: make a reward, redeem it, act as a member."""

from __future__ import annotations

from typing import Any

from tests.support.gql import GraphQLClient, TenantKit

CREATE_REWARD = """
mutation Create($input: CreateRewardInput!) {
  createReward(input: $input) {
    reward { id name kind codePrefix codeLength remainingStock archived }
    errors { code field message }
  }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    redemption { id code status points value orderId expiresAt usedAt closedAt }
    points { available }
    replayed
    errors { code field message }
  }
}
"""
ISSUE_MEMBER_TOKEN = """
mutation IssueMemberToken($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code field message } }
}
"""
BALANCE = """
query Balance($id: ID!) { member(id: $id) { points { available } } }
"""


async def make_reward(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> str:
    """A reward through the API; five off for 100 points unless told otherwise."""
    given = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100, **fields}
    data = await gql(CREATE_REWARD, {"input": given}, token=kit.secret_key)
    assert data["createReward"]["errors"] == [], data
    reward_id: str = data["createReward"]["reward"]["id"]
    return reward_id


async def redeem(
    gql: GraphQLClient, kit: TenantKit, reward_id: str, member_id: str, **extra: Any
) -> dict[str, Any]:
    """The redeemReward payload, as a secret key asks for it."""
    given = {"rewardId": reward_id, "memberId": member_id, **extra}
    data = await gql(REDEEM, {"input": given}, token=kit.secret_key)
    payload: dict[str, Any] = data["redeemReward"]
    return payload


async def code_of(gql: GraphQLClient, kit: TenantKit, reward_id: str, member_id: str) -> str:
    payload = await redeem(gql, kit, reward_id, member_id)
    assert payload["errors"] == [], payload
    code: str = payload["redemption"]["code"]
    return code


async def member_token(gql: GraphQLClient, kit: TenantKit, member_id: str) -> str:
    data = await gql(ISSUE_MEMBER_TOKEN, {"input": {"memberId": member_id}}, token=kit.secret_key)
    assert data["issueMemberToken"]["errors"] == [], data
    token: str = data["issueMemberToken"]["token"]
    return token


async def available(gql: GraphQLClient, kit: TenantKit, member_id: str) -> int:
    data = await gql(BALANCE, {"id": member_id}, token=kit.secret_key)
    points: int = data["member"]["points"]["available"]
    return points
