"""Early access: a reward kept for a tier and those above until a date. Before it, members
of lower tiers, members in no tier and the public catalog do not see it and cannot redeem
it; after it, everyone can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CREATE_REWARD = (OPERATIONS / "agency" / "CreateReward.graphql").read_text()
CREATE_TIER = (OPERATIONS / "agency" / "CreateTier.graphql").read_text()
AVAILABLE = (OPERATIONS / "mobile" / "AvailableRewards.graphql").read_text()
REDEEM_MINE = (OPERATIONS / "mobile" / "RedeemMyReward.graphql").read_text()
CATALOG = (OPERATIONS / "storefront" / "Rewards.graphql").read_text()
ONE = "query One($id: ID!) { reward(id: $id) { name earlyAccessTier } }"


async def _setup(gql: GraphQLClient, kit: TenantKit, until: datetime) -> str:
    """Bronze (0), Silver (100) and Gold (500); a reward early for Silver until `until`."""
    for name, threshold in (("Bronze", 0), ("Silver", 100), ("Gold", 500)):
        data = await gql(
            CREATE_TIER,
            {"input": {"name": name, "threshold": threshold}},
            token=kit.operator_token,
            tenant=kit.slug,
        )
        assert data["createTier"]["errors"] == [], data
    given = {
        "name": "Spring preview",
        "kind": "FIXED_AMOUNT",
        "value": 500,
        "pointsCost": 50,
        "earlyAccessTier": "Silver",
        "earlyAccessUntil": until.isoformat(),
    }
    data = await gql(CREATE_REWARD, {"input": given}, token=kit.operator_token, tenant=kit.slug)
    payload = data["createReward"]
    assert payload["errors"] == [], payload
    assert payload["reward"]["earlyAccessTier"] == "Silver"
    reward_id: str = payload["reward"]["id"]
    return reward_id


async def _offered(gql: GraphQLClient, token: str) -> list[str]:
    data = await gql(AVAILABLE, {}, token=token)
    return [a["reward"]["name"] for a in data["me"]["availableRewards"]]


async def test_before_the_date_only_the_tier_and_those_above_see_and_redeem_it(gql, tenant, enroll):
    # given a reward early for Silver until tomorrow, and members in Bronze, Silver and Gold
    reward_id = await _setup(gql, tenant, datetime.now(UTC) + timedelta(days=1))
    tokens = {}
    for name, points in (("bronze", 60), ("silver", 150), ("gold", 600)):
        tokens[name] = await member_token(gql, tenant, await enroll(tenant, name, points=points))

    # when each looks at the rewards in reach, and redeems it
    offered = {name: await _offered(gql, token) for name, token in tokens.items()}
    redeemed = {
        name: (
            await gql(REDEEM_MINE, {"rewardId": reward_id, "idempotencyKey": name}, token=token)
        )["redeemReward"]
        for name, token in tokens.items()
    }
    public = await gql(CATALOG, {}, token=tenant.publishable_key)
    one_public = await gql(ONE, {"id": reward_id}, token=tenant.publishable_key)
    one_gold = await gql(ONE, {"id": reward_id}, token=tokens["gold"])

    # then Silver and Gold see it and redeem it; Bronze and the public catalog do not
    assert offered == {"bronze": [], "silver": ["Spring preview"], "gold": ["Spring preview"]}
    assert [e["code"] for e in redeemed["bronze"]["errors"]] == ["NOT_ELIGIBLE"]
    assert "Silver members and above" in redeemed["bronze"]["errors"][0]["message"]
    assert redeemed["silver"]["errors"] == [] and redeemed["gold"]["errors"] == []
    assert public["rewards"]["nodes"] == []
    assert one_public["reward"] is None
    assert one_gold["reward"] == {"name": "Spring preview", "earlyAccessTier": "Silver"}


async def test_after_the_date_everyone_sees_and_redeems_it(gql, tenant, enroll):
    # given a reward whose early access for Silver ended an hour ago
    reward_id = await _setup(gql, tenant, datetime.now(UTC) - timedelta(hours=1))
    bronze = await member_token(gql, tenant, await enroll(tenant, "bronze", points=60))

    # when a Bronze member and the public catalog look, and the Bronze member redeems it
    offered = await _offered(gql, bronze)
    public = await gql(CATALOG, {}, token=tenant.publishable_key)
    redeemed = await gql(
        REDEEM_MINE, {"rewardId": reward_id, "idempotencyKey": "late"}, token=bronze
    )

    # then it is everyone's
    assert offered == ["Spring preview"]
    assert [n["name"] for n in public["rewards"]["nodes"]] == ["Spring preview"]
    assert redeemed["redeemReward"]["errors"] == []


async def test_early_access_needs_both_a_tier_and_a_date(gql, tenant):
    data = await gql(
        CREATE_REWARD,
        {"input": {"name": "x", "kind": "CUSTOM", "pointsCost": 5, "earlyAccessTier": "Gold"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert [e["field"] for e in data["createReward"]["errors"]] == [["input", "earlyAccessUntil"]]
