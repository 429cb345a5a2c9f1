"""Tier benefits that act: a tier carries a standing discount percent and free shipping,
set by createTier, updateTier and configureTiers (several tiers at once, all or nothing),
and the storefront reads them from the member's tier at checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CREATE = (OPERATIONS / "agency" / "CreateTier.graphql").read_text()
UPDATE = (OPERATIONS / "agency" / "UpdateTier.graphql").read_text()
CONFIGURE = (OPERATIONS / "agency" / "ConfigureTiers.graphql").read_text()
BENEFITS = (OPERATIONS / "storefront" / "MemberBenefits.graphql").read_text()
TIERS = (OPERATIONS / "storefront" / "ProgramTiers.graphql").read_text()
ME = (OPERATIONS / "mobile" / "Me.graphql").read_text()
HOW = (OPERATIONS / "storefront" / "HowItWorks.graphql").read_text()
ADJUST = """
mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { errors { code } } }
"""


async def _operator(gql: GraphQLClient, kit: TenantKit, doc: str, input: dict) -> dict:
    data = await gql(doc, {"input": input}, token=kit.operator_token, tenant=kit.slug)
    return next(iter(data.values()))


async def _benefits_of(gql: GraphQLClient, kit: TenantKit, external_id: str) -> dict | None:
    data = await gql(BENEFITS, {"externalId": external_id}, token=kit.secret_key)
    current = data["member"]["tier"]["current"]
    if current is None:
        return None
    return {
        "tier": current["name"],
        **{k: v for k, v in current["benefits"].items() if k != "__typename"},
    }


async def test_the_storefront_reads_the_members_tier_benefits(gql, tenant, enroll):
    # given Silver with free shipping and Gold with 10% off and free shipping
    silver = await _operator(
        gql,
        tenant,
        CREATE,
        {"name": "Silver", "threshold": 100, "benefits": {"freeShipping": True}},
    )
    gold = await _operator(
        gql,
        tenant,
        CREATE,
        {
            "name": "Gold",
            "threshold": 500,
            "multiplier": "1.5",
            "benefits": {"discountPercent": "10", "freeShipping": True},
        },
    )
    assert silver["errors"] == [] and gold["errors"] == []
    assert gold["tier"]["benefits"] == {
        "__typename": "TierBenefits",
        "discountPercent": "10.00",
        "freeShipping": True,
    }
    # and members in no tier, in Silver and in Gold
    await enroll(tenant, "none", points=10)
    await enroll(tenant, "silver", points=150)
    gold_member = await enroll(tenant, "gold", points=600)

    # then the checkout reads what each member's tier gives
    assert await _benefits_of(gql, tenant, "none") is None
    assert await _benefits_of(gql, tenant, "silver") == {
        "tier": "Silver",
        "discountPercent": None,
        "freeShipping": True,
    }
    assert await _benefits_of(gql, tenant, "gold") == {
        "tier": "Gold",
        "discountPercent": "10.00",
        "freeShipping": True,
    }
    # and the member's app and the public tiers page read the same
    token = await member_token(gql, tenant, gold_member)
    me = (await gql(ME, {}, token=token))["me"]
    assert me["tier"]["current"]["benefits"]["discountPercent"] == "10.00"
    tiers = (await gql(TIERS, {}, token=tenant.publishable_key))["program"]["tiers"]
    assert [(t["name"], t["benefits"]["freeShipping"]) for t in tiers] == [
        ("Silver", True),
        ("Gold", True),
    ]
    how = (await gql(HOW, {}, token=tenant.publishable_key))["program"]["howToEarn"]
    assert [x["description"] for x in how if x["kind"] == "TIER"] == [
        "Silver: free shipping from 100 lifetime points.",
        "Gold: 1.5x points, 10% off every order and free shipping from 500 lifetime points.",
    ]

    # when Gold's discount changes and Silver loses free shipping
    updated = await _operator(
        gql,
        tenant,
        UPDATE,
        {"id": gold["tier"]["id"], "benefits": {"discountPercent": "12.5", "freeShipping": True}},
    )
    assert updated["errors"] == [] and updated["tier"]["perks"] == []
    await _operator(gql, tenant, UPDATE, {"id": silver["tier"]["id"], "benefits": {}})

    # then the checkout reads the new benefits at once
    assert await _benefits_of(gql, tenant, "gold") == {
        "tier": "Gold",
        "discountPercent": "12.50",
        "freeShipping": True,
    }
    assert await _benefits_of(gql, tenant, "silver") == {
        "tier": "Silver",
        "discountPercent": None,
        "freeShipping": False,
    }
    # and an update that leaves benefits out keeps them
    renamed = await _operator(gql, tenant, UPDATE, {"id": gold["tier"]["id"], "name": "Gold VIP"})
    assert renamed["tier"]["benefits"]["discountPercent"] == "12.50"


async def test_configure_tiers_sets_several_tiers_benefits_at_once_or_none(gql, tenant):
    # given two tiers without benefits
    silver = (await _operator(gql, tenant, CREATE, {"name": "Silver", "threshold": 100}))["tier"]
    gold = (await _operator(gql, tenant, CREATE, {"name": "Gold", "threshold": 500}))["tier"]

    # when one change names a tier that does not exist
    missing = "VGllcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"
    refused = await _operator(
        gql,
        tenant,
        CONFIGURE,
        {
            "graceDays": 30,
            "benefits": [
                {"tierId": silver["id"], "benefits": {"freeShipping": True}},
                {"tierId": missing, "benefits": {"discountPercent": "5"}},
            ],
        },
    )

    # then nothing changed, neither the settings nor Silver
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("NOT_FOUND", ["input", "benefits", "1", "tierId"])
    ]
    tiers = (await gql(TIERS, {}, token=tenant.publishable_key))["program"]
    assert [t["benefits"]["freeShipping"] for t in tiers["tiers"]] == [False, False]

    # when both are set in one change
    done = await _operator(
        gql,
        tenant,
        CONFIGURE,
        {
            "graceDays": 30,
            "benefits": [
                {"tierId": silver["id"], "benefits": {"freeShipping": True}},
                {"tierId": gold["id"], "benefits": {"discountPercent": "5", "freeShipping": True}},
            ],
        },
    )

    # then both carry them, and the settings changed with them
    assert done["errors"] == []
    assert done["settings"]["graceDays"] == 30
    assert [
        (t["name"], t["benefits"]["discountPercent"], t["benefits"]["freeShipping"])
        for t in done["tiers"]
    ] == [("Silver", None, True), ("Gold", "5.00", True)]


@pytest.mark.parametrize("percent", ["0", "-5", "100.01", "101", "10.555", "1e9"])
async def test_a_discount_outside_0_to_100_percent_is_refused(gql, tenant, percent):
    created = await _operator(
        gql,
        tenant,
        CREATE,
        {"name": "Gold", "threshold": 500, "benefits": {"discountPercent": percent}},
    )

    assert [(e["code"], e["field"]) for e in created["errors"]] == [
        ("INVALID", ["input", "benefits", "discountPercent"])
    ]
    tiers = (await gql(TIERS, {}, token=tenant.publishable_key))["program"]["tiers"]
    assert tiers == []


async def test_only_managers_set_benefits(gql, make_tenant):
    viewer = await make_tenant("VIEWER")
    for token, tenant in ((viewer.operator_token, viewer.slug), (viewer.secret_key, None)):
        errors = await gql.errors(
            CREATE,
            {"input": {"name": "Gold", "threshold": 1, "benefits": {"freeShipping": True}}},
            token=token,
            tenant=tenant,
        )
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
