"""The rewards catalog: validation, filters and pages, archiving, codes and what a member
can afford."""

from __future__ import annotations

import re

import pytest

from domain.rewards import CODE_ALPHABET
from tests.support.rewards import (
    CREATE_REWARD,
    available,
    code_of,
    make_reward,
    member_token,
    redeem,
)

REWARDS = """
query Rewards($first: Int, $after: String, $filter: RewardFilterInput) {
  rewards(first: $first, after: $after, filter: $filter) {
    nodes { name archived }
    pageInfo { hasNextPage endCursor }
  }
}
"""
REWARD = """
query Reward($id: ID!) { reward(id: $id) { name archived remainingStock } }
"""
NODE = """
query Node($id: ID!) { node(id: $id) { id } }
"""
CATALOG = """
query Catalog { program { rewards { name } } }
"""
UPDATE = """
mutation Update($input: UpdateRewardInput!) {
  updateReward(input: $input) {
    reward { name stock pointsCost endsAt } errors { code field message }
  }
}
"""
ARCHIVE = """
mutation Archive($input: ArchiveRewardInput!) {
  archiveReward(input: $input) { reward { archived } errors { code field message } }
}
"""
IMPORT = """
mutation Import($input: ImportRewardCodesInput!) {
  importRewardCodes(input: $input) { imported duplicates errors { code field message } }
}
"""
VALIDATE = """
query Validate($code: String!, $subtotal: Int!) {
  validateCode(code: $code, subtotal: $subtotal) { valid reason discount }
}
"""
AVAILABLE = """
query Available($id: ID!) {
  member(id: $id) {
    availableRewards { reward { name } canRedeem pointsMissing limitReached }
  }
}
"""
ME_AVAILABLE = """
query MeAvailable { me { availableRewards { reward { name } canRedeem } } }
"""
REDEMPTIONS = """
query Redemptions($id: ID!, $first: Int, $after: String, $status: [RedemptionStatus!]) {
  member(id: $id) {
    redemptions(first: $first, after: $after, status: $status) {
      nodes { code status reward { name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
USED = """
mutation Used($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { errors { code } }
}
"""
CANCEL = """
mutation Cancel($input: CancelRedemptionInput!) {
  cancelRedemption(input: $input) { errors { code } }
}
"""

FIVE_OFF = {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100}
VARIABLE = {
    "name": "Credit",
    "kind": "STORE_CREDIT",
    "minPoints": 100,
    "maxPoints": 1000,
    "stepPoints": 50,
    "valuePerStep": 25,
}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({**FIVE_OFF, "name": "  "}, "name"),
        ({**FIVE_OFF, "value": None}, "value"),
        ({**FIVE_OFF, "value": -5}, "value"),
        ({**FIVE_OFF, "kind": "PERCENTAGE", "percentage": "0"}, "percentage"),
        ({**FIVE_OFF, "kind": "PERCENTAGE", "percentage": "150"}, "percentage"),
        ({**FIVE_OFF, "kind": "PERCENTAGE", "percentage": "10", "maxDiscount": -1}, "maxDiscount"),
        ({**FIVE_OFF, "kind": "FREE_PRODUCT", "sku": " "}, "sku"),
        ({**VARIABLE, "kind": "PERCENTAGE", "percentage": "10"}, "pointsCost"),
        ({**VARIABLE, "minPoints": 2000}, "minPoints"),
        ({**VARIABLE, "stepPoints": 0}, "minPoints"),
        ({**VARIABLE, "valuePerStep": None}, "valuePerStep"),
        ({**FIVE_OFF, "pointsCost": 0}, "pointsCost"),
        ({**FIVE_OFF, "minOrderValue": -1}, "minOrderValue"),
        ({**FIVE_OFF, "validDays": 0}, "validDays"),
        ({**FIVE_OFF, "stock": -1}, "stock"),
        ({**FIVE_OFF, "perMemberLimit": 0}, "perMemberLimit"),
        ({**FIVE_OFF, "perMemberPeriod": "DAY"}, "perMemberPeriod"),
        (
            {**FIVE_OFF, "startsAt": "2026-03-02T00:00:00Z", "endsAt": "2026-03-01T00:00:00Z"},
            "endsAt",
        ),
        ({**FIVE_OFF, "codePrefix": "AB!"}, "codePrefix"),
        ({**FIVE_OFF, "codePrefix": "ÉTÉ-"}, "codePrefix"),
        ({**FIVE_OFF, "codePrefix": "X" * 21}, "codePrefix"),
        ({**FIVE_OFF, "codeLength": 5}, "codeLength"),
        ({**FIVE_OFF, "codeLength": 33}, "codeLength"),
        ({**FIVE_OFF, "imageUrl": "ftp://img.example/x.png"}, "imageUrl"),
        ({**FIVE_OFF, "codeAlphabet": "ACDEFGHJK0"}, "codeAlphabet"),
        ({**FIVE_OFF, "codeAlphabet": "ACDEFGHJKA"}, "codeAlphabet"),
        ({**FIVE_OFF, "codeAlphabet": "34679", "codeLength": 12}, "codeLength"),
        ({**FIVE_OFF, "eligibleSegments": [""]}, "eligibleSegments"),
    ],
)
async def test_bad_reward_input_is_a_typed_error_and_writes_nothing(gql, tenant, given, field):
    data = await gql(CREATE_REWARD, {"input": given}, token=tenant.secret_key)

    payload = data["createReward"]
    assert payload["reward"] is None
    assert payload["errors"][0]["field"] == ["input", field]
    assert payload["errors"][0]["code"] in ("INVALID", "REQUIRED")
    listed = await gql(REWARDS, {"filter": {"includeArchived": True}}, token=tenant.secret_key)
    assert listed["rewards"]["nodes"] == []


async def test_bad_updates_are_refused_and_leave_the_reward_as_it_was(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, stock=2)
    member = await enroll(tenant, points=500)
    await code_of(gql, tenant, reward_id, member)
    await code_of(gql, tenant, reward_id, member)

    below = await gql(UPDATE, {"input": {"id": reward_id, "stock": 1}}, token=tenant.secret_key)
    clear = await gql(
        UPDATE,
        {"input": {"id": reward_id, "name": "New", "clear": ["name"]}},
        token=tenant.secret_key,
    )
    mixed = await gql(
        UPDATE,
        {"input": {"id": reward_id, "name": "New", "pointsCost": -1}},
        token=tenant.secret_key,
    )

    assert below["updateReward"]["errors"][0]["field"] == ["input", "stock"]
    assert clear["updateReward"]["errors"][0]["field"] == ["input", "clear"]
    assert mixed["updateReward"]["errors"][0]["field"] == ["input", "pointsCost"]
    after = await gql(REWARD, {"id": reward_id}, token=tenant.secret_key)
    assert after["reward"] == {"name": "Five off", "archived": False, "remainingStock": 0}
    more = await gql(
        UPDATE,
        {"input": {"id": reward_id, "stock": 5, "clear": ["endsAt"]}},
        token=tenant.secret_key,
    )
    assert more["updateReward"]["reward"]["stock"] == 5


async def test_rewards_page_and_filter(gql, tenant):
    await make_reward(gql, tenant, name="Alpha")
    await make_reward(gql, tenant, name="Beta", kind="PERCENTAGE", value=None, percentage="10")
    await make_reward(gql, tenant, name="Free shipping", kind="FREE_SHIPPING", value=None)
    await make_reward(gql, tenant, name="Sold out", stock=0)
    gone = await make_reward(gql, tenant, name="Gone")
    await gql(ARCHIVE, {"input": {"id": gone}}, token=tenant.secret_key)

    async def names(token: str, **variables: object) -> list[str]:
        data = await gql(REWARDS, variables, token=token)
        return [n["name"] for n in data["rewards"]["nodes"]]

    first = await gql(REWARDS, {"first": 2}, token=tenant.secret_key)
    cursor = first["rewards"]["pageInfo"]["endCursor"]
    assert [n["name"] for n in first["rewards"]["nodes"]] == ["Alpha", "Beta"]
    assert first["rewards"]["pageInfo"]["hasNextPage"] is True
    assert await names(tenant.secret_key, first=2, after=cursor) == ["Free shipping", "Sold out"]
    assert await names(tenant.secret_key, filter={"kinds": ["PERCENTAGE", "FREE_SHIPPING"]}) == [
        "Beta",
        "Free shipping",
    ]
    assert await names(tenant.secret_key, filter={"search": "SHIP"}) == ["Free shipping"]
    assert await names(tenant.secret_key, filter={"availableNow": True}) == [
        "Alpha",
        "Beta",
        "Free shipping",
    ]
    assert "Gone" in await names(tenant.secret_key, filter={"includeArchived": True})
    # A publishable key sees what can be redeemed now, whatever it asks for.
    assert await names(tenant.publishable_key, filter={"includeArchived": True}) == [
        "Alpha",
        "Beta",
        "Free shipping",
    ]


async def test_an_archived_reward_is_hidden_from_the_public_and_cannot_be_redeemed(
    gql, tenant, enroll
):
    reward_id = await make_reward(gql, tenant, name="Old")
    member = await enroll(tenant, points=300)
    code = await code_of(gql, tenant, reward_id, member)

    archived = await gql(ARCHIVE, {"input": {"id": reward_id}}, token=tenant.secret_key)

    assert archived["archiveReward"]["reward"] == {"archived": True}
    refused = await redeem(gql, tenant, reward_id, member)
    assert refused["errors"][0]["code"] == "REWARD_UNAVAILABLE"
    assert "archived" in refused["errors"][0]["message"]
    assert await available(gql, tenant, member) == 200
    public = tenant.publishable_key
    assert (await gql(CATALOG, token=public))["program"]["rewards"] == []
    assert (await gql(REWARD, {"id": reward_id}, token=public))["reward"] is None
    assert (await gql(NODE, {"id": reward_id}, token=public))["node"] is None
    assert (await gql(REWARD, {"id": reward_id}, token=tenant.secret_key))["reward"]["archived"]
    # Codes issued before archiving stay good.
    check = await gql(VALIDATE, {"code": code, "subtotal": 1000}, token=tenant.secret_key)
    assert check["validateCode"]["valid"] is True
    back = await gql(
        UPDATE, {"input": {"id": reward_id, "archived": False}}, token=tenant.secret_key
    )
    assert back["updateReward"]["errors"] == []
    assert (await gql(CATALOG, token=public))["program"]["rewards"] == [{"name": "Old"}]


async def test_generated_codes_take_the_prefix_length_and_unambiguous_alphabet(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, codePrefix="vip-", codeLength=8, pointsCost=1)
    member = await enroll(tenant, points=20)

    codes = [await code_of(gql, tenant, reward_id, member) for _ in range(20)]

    shape = re.compile(f"^VIP-[{CODE_ALPHABET}]{{8}}$")
    assert all(shape.match(c) for c in codes), codes
    assert len(set(codes)) == 20
    assert not set("0O1IL2Z5S8B") & set(CODE_ALPHABET)


async def test_a_reward_can_generate_codes_from_fewer_characters(gql, tenant, enroll):
    reward_id = await make_reward(
        gql, tenant, codeAlphabet="34679", codeLength=13, codePrefix="", pointsCost=1
    )
    member = await enroll(tenant, points=5)

    codes = [await code_of(gql, tenant, reward_id, member) for _ in range(5)]

    assert all(re.fullmatch("[34679]{13}", c) for c in codes), codes


async def test_importing_codes_counts_duplicates_and_refuses_bad_ones(gql, tenant):
    pool = await make_reward(gql, tenant, codeSource="POOL")
    other_pool = await make_reward(gql, tenant, name="Other", codeSource="POOL")
    generated = await make_reward(gql, tenant, name="Generated")

    bad = await gql(
        IMPORT,
        {"input": {"rewardId": pool, "codes": ["GOOD-1", "bad code!"]}},
        token=tenant.secret_key,
    )
    good = await gql(
        IMPORT,
        {"input": {"rewardId": pool, "codes": ["good-1", "GOOD-2"]}},
        token=tenant.secret_key,
    )
    elsewhere = await gql(
        IMPORT,
        {"input": {"rewardId": other_pool, "codes": ["GOOD-1", "GOOD-3"]}},
        token=tenant.secret_key,
    )
    not_a_pool = await gql(
        IMPORT, {"input": {"rewardId": generated, "codes": ["GOOD-4"]}}, token=tenant.secret_key
    )
    empty = await gql(IMPORT, {"input": {"rewardId": pool, "codes": []}}, token=tenant.secret_key)

    assert bad["importRewardCodes"]["errors"][0]["field"] == ["input", "codes", "1"]
    # Nothing of the refused upload was kept: GOOD-1 arrives new with the second one.
    assert good["importRewardCodes"] == {"imported": 2, "duplicates": 0, "errors": []}
    # A code is unique across the tenant: another reward's pool cannot take it too.
    assert elsewhere["importRewardCodes"] == {"imported": 1, "duplicates": 1, "errors": []}
    assert not_a_pool["importRewardCodes"]["errors"][0]["field"] == ["input", "rewardId"]
    assert empty["importRewardCodes"]["errors"][0]["field"] == ["input", "codes"]


async def test_variable_cost_value_is_computed_per_step_and_discounts_the_cart(gql, tenant, enroll):
    reward_id = await make_reward(
        gql,
        tenant,
        kind="FIXED_AMOUNT",
        value=None,
        pointsCost=None,
        minPoints=200,
        maxPoints=1000,
        stepPoints=100,
        valuePerStep=50,
    )
    member = await enroll(tenant, points=1000)

    redeemed = await redeem(gql, tenant, reward_id, member, points=500)
    over = await redeem(gql, tenant, reward_id, member, points=1100)

    assert redeemed["redemption"]["value"] == 250  # 5 steps of 50
    assert redeemed["points"] == {"available": 500}
    assert over["errors"][0]["code"] == "INVALID_AMOUNT"
    code = redeemed["redemption"]["code"]
    small = await gql(VALIDATE, {"code": code, "subtotal": 200}, token=tenant.secret_key)
    large = await gql(VALIDATE, {"code": code, "subtotal": 5000}, token=tenant.secret_key)
    assert (small["validateCode"]["discount"], large["validateCode"]["discount"]) == (200, 250)


async def test_a_fixed_cost_reward_refuses_another_amount_and_spends_nothing(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, stock=1)
    member = await enroll(tenant, points=50)

    wrong = await redeem(gql, tenant, reward_id, member, points=50)
    short = await redeem(gql, tenant, reward_id, member)
    unknown = await redeem(gql, tenant, "not-an-id", member)

    assert wrong["errors"][0]["field"] == ["input", "points"]
    assert short["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert unknown["errors"][0]["field"] == ["input", "rewardId"]
    assert await available(gql, tenant, member) == 50
    stock = await gql(REWARD, {"id": reward_id}, token=tenant.secret_key)
    assert stock["reward"]["remainingStock"] == 1


async def test_available_rewards_tell_points_missing_and_limits_reached(gql, tenant, enroll):
    once = await make_reward(gql, tenant, name="Once", pointsCost=50, perMemberLimit=1)
    await make_reward(gql, tenant, name="Dear", pointsCost=500)
    await make_reward(gql, tenant, **{**VARIABLE, "minPoints": 150})
    archived = await make_reward(gql, tenant, name="Archived", pointsCost=1)
    await gql(ARCHIVE, {"input": {"id": archived}}, token=tenant.secret_key)
    member = await enroll(tenant, points=200)

    before = await gql(AVAILABLE, {"id": member}, token=tenant.secret_key)
    await code_of(gql, tenant, once, member)
    after = await gql(AVAILABLE, {"id": member}, token=tenant.secret_key)
    mine = await gql(ME_AVAILABLE, token=await member_token(gql, tenant, member))

    def table(rows: list[dict]) -> list[tuple]:
        return [
            (x["reward"]["name"], x["canRedeem"], x["pointsMissing"], x["limitReached"])
            for x in rows
        ]

    assert table(before["member"]["availableRewards"]) == [
        ("Once", True, 0, False),
        ("Dear", False, 300, False),
        ("Credit", True, 0, False),
    ]
    assert table(after["member"]["availableRewards"]) == [
        ("Once", False, 0, True),
        ("Dear", False, 350, False),
        ("Credit", True, 0, False),
    ]
    assert [(x["reward"]["name"], x["canRedeem"]) for x in mine["me"]["availableRewards"]] == [
        ("Once", False),
        ("Dear", False),
        ("Credit", True),
    ]


async def test_member_redemptions_list_newest_first_with_status_and_filter(gql, tenant, enroll):
    reward_id = await make_reward(gql, tenant, pointsCost=10)
    member = await enroll(tenant, points=100)
    used, cancelled, issued = [await code_of(gql, tenant, reward_id, member) for _ in range(3)]
    await gql(USED, {"input": {"code": used, "orderId": "o-1"}}, token=tenant.secret_key)
    await gql(CANCEL, {"input": {"code": cancelled}}, token=tenant.secret_key)

    page = await gql(REDEMPTIONS, {"id": member, "first": 2}, token=tenant.secret_key)
    cursor = page["member"]["redemptions"]["pageInfo"]["endCursor"]
    rest = await gql(REDEMPTIONS, {"id": member, "after": cursor}, token=tenant.secret_key)
    open_only = await gql(
        REDEMPTIONS, {"id": member, "status": ["ISSUED", "USED"]}, token=tenant.secret_key
    )

    listed = page["member"]["redemptions"]["nodes"] + rest["member"]["redemptions"]["nodes"]
    assert [(n["code"], n["status"]) for n in listed] == [
        (issued, "ISSUED"),
        (cancelled, "CANCELLED"),
        (used, "USED"),
    ]
    assert listed[0]["reward"] == {"name": "Five off"}
    assert page["member"]["redemptions"]["pageInfo"]["hasNextPage"] is True
    assert [n["code"] for n in open_only["member"]["redemptions"]["nodes"]] == [issued, used]
