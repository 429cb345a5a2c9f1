"""Free resources as rewards: a CONTENT reward delivers a link, a download or a webinar
seat on redemption, to the redemption's member (and staff) only, with stock and per-member
limits like any reward."""

from __future__ import annotations

from pathlib import Path

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CREATE = (OPERATIONS / "agency" / "CreateReward.graphql").read_text()
REDEEM_MINE = (OPERATIONS / "mobile" / "RedeemMyReward.graphql").read_text()
MY_REDEMPTIONS = (OPERATIONS / "mobile" / "MyRedemptions.graphql").read_text()
CATALOG = (OPERATIONS / "storefront" / "Rewards.graphql").read_text()
PUBLIC_CONTENT = "query Content($id: ID!) { reward(id: $id) { kind contentKind content { url } } }"

WEBINAR = {
    "name": "Latte art webinar",
    "kind": "CONTENT",
    "pointsCost": 50,
    "contentKind": "WEBINAR",
    "contentUrl": "https://webinars.example/latte?seat=1",
    "contentNote": "Thursday 18:00 UTC",
    "stock": 2,
    "perMemberLimit": 1,
}


async def _create(gql: GraphQLClient, kit: TenantKit, **given) -> dict:
    data = await gql(CREATE, {"input": given}, token=kit.operator_token, tenant=kit.slug)
    payload: dict = data["createReward"]
    return payload


async def _redeem(gql: GraphQLClient, token: str, reward_id: str, key: str) -> dict:
    variables = {"rewardId": reward_id, "idempotencyKey": key}
    payload: dict = (await gql(REDEEM_MINE, variables, token=token))["redeemReward"]
    return payload


def _codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def test_a_webinar_seat_is_delivered_to_its_member_within_stock_and_limits(
    gql, tenant, enroll
):
    # given a webinar with two seats, one per member
    made = await _create(gql, tenant, **WEBINAR)
    assert made["errors"] == []
    reward = made["reward"]
    assert reward["contentKind"] == "WEBINAR"
    assert reward["content"]["url"] == WEBINAR["contentUrl"]  # staff see what it delivers
    ada, bob, cy = [await enroll(tenant, points=200) for _ in range(3)]
    ada_t, bob_t, cy_t = [await member_token(gql, tenant, m) for m in (ada, bob, cy)]

    # when Ada redeems twice, then Bob and Cy once each
    first = await _redeem(gql, ada_t, reward["id"], "ada-1")
    again = await _redeem(gql, ada_t, reward["id"], "ada-2")
    bob_seat = await _redeem(gql, bob_t, reward["id"], "bob-1")
    cy_seat = await _redeem(gql, cy_t, reward["id"], "cy-1")

    # then Ada's redemption carries the seat, once; Bob takes the last seat; Cy gets none
    assert first["errors"] == []
    content = first["redemption"]["content"]
    assert {k: content[k] for k in ("kind", "url", "note")} == {
        "kind": "WEBINAR",
        "url": WEBINAR["contentUrl"],
        "note": "Thursday 18:00 UTC",
    }
    assert _codes(again) == ["LIMIT_REACHED"]
    assert bob_seat["errors"] == [] and bob_seat["redemption"]["content"]["url"]
    assert _codes(cy_seat) == ["OUT_OF_STOCK"]
    # and Ada finds it again among her redemptions
    mine = (await gql(MY_REDEMPTIONS, {}, token=ada_t))["me"]["redemptions"]["nodes"]
    assert [n["content"]["url"] for n in mine] == [WEBINAR["contentUrl"]]


async def test_the_public_catalog_never_shows_the_content(gql, tenant, enroll):
    # given a download reward
    made = await _create(
        gql,
        tenant,
        name="Recipe book",
        kind="CONTENT",
        pointsCost=10,
        contentKind="DOWNLOAD",
        contentUrl="https://files.example/recipes.pdf",
    )
    reward_id = made["reward"]["id"]
    member = await enroll(tenant, points=50)

    # when the storefront reads the catalog and the reward, and a member reads the reward
    catalog = await gql(CATALOG, {}, token=tenant.publishable_key)
    public = await gql(PUBLIC_CONTENT, {"id": reward_id}, token=tenant.publishable_key)
    as_member = await gql(
        PUBLIC_CONTENT, {"id": reward_id}, token=await member_token(gql, tenant, member)
    )

    # then they see what kind of content it is, never the link itself
    assert [n["contentKind"] for n in catalog["rewards"]["nodes"]] == ["DOWNLOAD"]
    assert "files.example" not in str(catalog)
    assert public["reward"] == {"kind": "CONTENT", "contentKind": "DOWNLOAD", "content": None}
    assert as_member["reward"]["content"] is None


async def test_content_is_checked_and_only_for_content_rewards(gql, tenant):
    no_url = await _create(gql, tenant, name="x", kind="CONTENT", pointsCost=5, contentKind="URL")
    bad_url = await _create(
        gql, tenant, name="x", kind="CONTENT", pointsCost=5, contentKind="URL",
        contentUrl="javascript:alert(1)",
    )  # fmt: skip
    on_a_discount = await _create(
        gql, tenant, name="x", kind="FIXED_AMOUNT", value=100, pointsCost=5,
        contentKind="URL", contentUrl="https://example.com",
    )  # fmt: skip

    assert [(e["code"], e["field"]) for e in no_url["errors"]] == [
        ("INVALID", ["input", "contentUrl"])
    ]
    assert [e["field"] for e in bad_url["errors"]] == [["input", "contentUrl"]]
    assert [e["field"] for e in on_a_discount["errors"]] == [["input", "contentUrl"]]
