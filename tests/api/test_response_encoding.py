"""Given an error message that quotes what the client sent, when what it sent holds a lone
surrogate (valid in JSON text as an escape, not encodable as UTF-8), then the answer is still
GraphQL JSON with the error, not a plain-text 500 from the JSON encoder."""

from __future__ import annotations

import json

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import make_reward

UPDATE_REWARD = """
mutation UpdateReward($input: UpdateRewardInput!) {
  updateReward(input: $input) { reward { id } errors { code field message } }
}
"""


async def post_escaped(
    gql: GraphQLClient, query: str, variables: dict[str, object], token: str
) -> tuple[int, dict[str, object]]:
    # json.dumps escapes the surrogate (\udfff); httpx's own encoder would refuse it.
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = await gql.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.json()


async def test_a_user_error_quoting_a_lone_surrogate_is_answered(
    gql: GraphQLClient, tenant: TenantKit
) -> None:
    # given a reward, and a change naming a field to clear that holds a lone surrogate
    reward_id = await make_reward(gql, tenant)
    variables = {"input": {"id": reward_id, "clear": ["x\udfffy"]}}

    # when it is posted
    status, body = await post_escaped(gql, UPDATE_REWARD, variables, tenant.secret_key)

    # then the refusal is answered as JSON, the name quoted as it was sent
    assert status == 200, body
    data = body["data"]
    assert isinstance(data, dict)
    (error,) = data["updateReward"]["errors"]
    assert error["code"] == "INVALID"
    assert "x\udfffy" in error["message"]
