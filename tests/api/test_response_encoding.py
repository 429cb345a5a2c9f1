"""Given an error message that quotes what the client sent, when what it sent holds a lone
surrogate (valid in JSON text as an escape, not encodable as UTF-8), then the answer is still
GraphQL JSON with the error, not a plain-text 500 from the JSON encoder."""

from __future__ import annotations

import json

import orjson

from api.http.json_encoding import encode_json
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

    # then it is refused as INVALID in GraphQL JSON: in the payload, the name quoted as it
    # was sent, or (where variables are checked first) as a request error
    assert status == 200 or 400 <= status < 500, body
    data = body.get("data")
    payload = data.get("updateReward") if isinstance(data, dict) else None
    errors = payload["errors"] if payload else body["errors"]
    assert isinstance(errors, list) and errors, body
    codes = [e.get("code") or e.get("extensions", {}).get("code") for e in errors]
    assert codes == ["INVALID"], body
    if payload:
        assert "x\udfffy" in errors[0]["message"]


def test_an_answer_holding_a_lone_surrogate_is_encoded_as_escaped_json() -> None:
    # given an answer whose message holds a lone surrogate
    answer = {"errors": [{"message": "x\udfffy cannot be cleared.", "path": ["a"]}]}

    # when it is encoded
    encoded = encode_json(answer)

    # then it is ASCII JSON that reads back as the same answer
    assert encoded.isascii()
    assert json.loads(encoded) == answer


def test_an_ordinary_answer_is_encoded_as_before() -> None:
    answer = {"data": {"program": {"name": "Café ☕"}}}
    assert encode_json(answer) == orjson.dumps(answer)
