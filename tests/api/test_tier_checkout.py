"""Tier benefits that act at checkout: validateCode applies the code's member's tier
(its standing discount on what the code leaves of the cart, and its free shipping), and
member.tierCheckout answers the same for a cart with no code."""

from __future__ import annotations

from pathlib import Path

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import code_of, make_reward, member_token

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CREATE_TIER = (OPERATIONS / "agency" / "CreateTier.graphql").read_text()
VALIDATE = (OPERATIONS / "storefront" / "ValidateCode.graphql").read_text()
TIER_CHECKOUT = (OPERATIONS / "storefront" / "TierCheckout.graphql").read_text()
MY_VALIDATE = """
query Validate($code: String!, $subtotal: Int!) {
  validateCode(code: $code, subtotal: $subtotal) {
    valid discount freeShipping totalDiscount tier { tier discount }
  }
}
"""


async def _tiers(gql: GraphQLClient, kit: TenantKit) -> None:
    """Silver (100 points): free shipping. Gold (500 points): 10 % off and free shipping."""
    for given in (
        {"name": "Silver", "threshold": 100, "benefits": {"freeShipping": True}},
        {
            "name": "Gold",
            "threshold": 500,
            "benefits": {"discountPercent": "10", "freeShipping": True},
        },
    ):
        data = await gql(CREATE_TIER, {"input": given}, token=kit.operator_token, tenant=kit.slug)
        assert data["createTier"]["errors"] == [], data


def _without_typenames(value):
    if isinstance(value, dict):
        return {k: _without_typenames(v) for k, v in value.items() if k != "__typename"}
    return value


async def test_a_code_of_a_gold_member_gets_the_tier_discount_on_what_the_code_leaves(
    gql, tenant, enroll
):
    # given Gold gives 10 % off and free shipping, and a Gold member holds a 5.00 code
    await _tiers(gql, tenant)
    reward_id = await make_reward(gql, tenant, value=500)
    gold = await enroll(tenant, "gold-1", points=700)
    code = await code_of(gql, tenant, reward_id, gold)

    # when the store validates the code on a 100.99 cart
    data = await gql(
        VALIDATE,
        {"code": code, "subtotal": 10099, "externalId": "gold-1"},
        token=tenant.secret_key,
    )

    # then the code takes 5.00, the tier 10 % of the 95.99 left (rounded down), and shipping
    check = data["validateCode"]
    assert check["valid"] is True
    assert check["discount"] == 500
    assert _without_typenames(check["tier"]) == {
        "tier": "Gold",
        "discountPercent": "10.00",
        "discount": 959,
        "freeShipping": True,
    }
    assert check["totalDiscount"] == 1459
    assert check["freeShipping"] is True


async def test_a_silver_member_ships_free_and_a_member_in_no_tier_gets_the_code_alone(
    gql, tenant, enroll
):
    # given a Silver member and a member in no tier, each with a code
    await _tiers(gql, tenant)
    reward_id = await make_reward(gql, tenant, value=500, pointsCost=10)
    silver = await enroll(tenant, "silver-1", points=300)
    plain = await enroll(tenant, "plain-1", points=20)
    silver_code = await code_of(gql, tenant, reward_id, silver)
    plain_code = await code_of(gql, tenant, reward_id, plain)

    # when each member validates their own code with their member token
    as_silver = await gql(
        MY_VALIDATE,
        {"code": silver_code, "subtotal": 4000},
        token=await member_token(gql, tenant, silver),
    )
    as_plain = await gql(
        MY_VALIDATE,
        {"code": plain_code, "subtotal": 4000},
        token=await member_token(gql, tenant, plain),
    )

    # then Silver ships free with no discount; no tier, the code's discount only
    assert as_silver["validateCode"] == {
        "valid": True,
        "discount": 500,
        "freeShipping": True,
        "totalDiscount": 500,
        "tier": {"tier": "Silver", "discount": 0},
    }
    assert as_plain["validateCode"] == {
        "valid": True,
        "discount": 500,
        "freeShipping": False,
        "totalDiscount": 500,
        "tier": None,
    }


async def test_an_invalid_code_gives_no_tier_discount(gql, tenant, enroll):
    # given a Gold member's code for carts of 30.00 or more
    await _tiers(gql, tenant)
    reward_id = await make_reward(gql, tenant, minOrderValue=3000)
    gold = await enroll(tenant, "gold-2", points=800)
    code = await code_of(gql, tenant, reward_id, gold)

    # when it is validated on a smaller cart
    data = await gql(VALIDATE, {"code": code, "subtotal": 2000}, token=tenant.secret_key)

    # then nothing is taken off: the store asks again without the code (tierCheckout)
    check = data["validateCode"]
    assert (check["valid"], check["tier"], check["totalDiscount"]) == (False, None, None)


async def test_a_cart_with_no_code_gets_the_tier_discount(gql, tenant, enroll):
    # given a Gold member, a Silver member and one in no tier
    await _tiers(gql, tenant)
    await enroll(tenant, "gold-3", points=600)
    await enroll(tenant, "silver-3", points=150)
    await enroll(tenant, "plain-3")

    async def checkout(external_id: str, subtotal: int) -> dict:
        data = await gql(
            TIER_CHECKOUT,
            {"externalId": external_id, "subtotal": subtotal},
            token=tenant.secret_key,
        )
        return data

    gold = await checkout("gold-3", 2599)
    silver = await checkout("silver-3", 2599)
    plain = await checkout("plain-3", 2599)
    negative = await gql.errors(
        TIER_CHECKOUT, {"externalId": "gold-3", "subtotal": -1}, token=tenant.secret_key
    )

    assert _without_typenames(gold["member"]["tierCheckout"]) == {
        "tier": "Gold",
        "discountPercent": "10.00",
        "discount": 259,
        "freeShipping": True,
    }
    assert _without_typenames(silver["member"]["tierCheckout"]) == {
        "tier": "Silver",
        "discountPercent": None,
        "discount": 0,
        "freeShipping": True,
    }
    assert plain["member"]["tierCheckout"] is None
    assert [e["message"] for e in negative] == ["subtotal must not be negative."]
