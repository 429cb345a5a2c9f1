"""The welcome offer: enrolment awards the signup action's points and/or issues a catalog
reward whose code the enrolment answers with, in the enrolment's transaction, once per
shopper however enrolment and recordAction are retried or raced."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.rewards import make_reward

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
CONFIGURE = (OPERATIONS / "agency" / "ConfigureWelcomeOffer.graphql").read_text()
ENROLL = (OPERATIONS / "storefront" / "EnrollMember.graphql").read_text()
RECORD_ACTION = """
mutation Record($input: RecordActionInput!) {
  recordAction(input: $input) { entry { points } errors { code field message } }
}
"""
MEMBER = """
query Member($id: ID!) {
  member(id: $id) {
    points { available lifetime }
    redemptions { nodes { code reward { name } } }
    history { nodes { kind points reason } }
  }
}
"""


async def _configure(gql: GraphQLClient, kit: TenantKit, **fields) -> dict:
    data = await gql(CONFIGURE, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    return data["configureProgram"]


async def _offer(gql: GraphQLClient, kit: TenantKit, **offer) -> None:
    configured = await _configure(
        gql,
        kit,
        actions=[{"key": "signup", "points": 50}, {"key": "review", "points": 10}],
        welcomeOffer=offer,
    )
    assert configured["errors"] == [], configured


async def _enroll(gql: GraphQLClient, kit: TenantKit, external_id: str, **extra) -> dict:
    data = await gql(ENROLL, {"input": {"externalId": external_id, **extra}}, token=kit.secret_key)
    return data["enrollMember"]


async def _ten_percent(gql: GraphQLClient, kit: TenantKit, **fields) -> str:
    return await make_reward(
        gql,
        kit,
        name="10% off your first order",
        kind="PERCENTAGE",
        percentage="10",
        value=None,
        pointsCost=100,
        **fields,
    )


async def test_enrolment_gives_the_signup_points_and_a_code_at_once(gql, tenant):
    # given a welcome offer of the signup action's 50 points and 10% off the first order
    reward = await _ten_percent(gql, tenant)
    await _offer(gql, tenant, awardSignup=True, rewardId=reward)

    # when a shopper enrols
    enrolled = await _enroll(gql, tenant, "ann")

    # then the answer holds the points and a code to show at once
    assert enrolled["errors"] == []
    welcome = enrolled["welcome"]
    assert welcome["points"] == 50
    redemption = welcome["redemption"]
    assert redemption["status"] == "ISSUED"
    assert redemption["code"]
    assert redemption["reward"]["name"] == "10% off your first order"
    assert enrolled["member"]["points"]["available"] == 50
    # and the member's records say the same: the signup entry, the gift credited and spent
    member = (await gql(MEMBER, {"id": enrolled["member"]["id"]}, token=tenant.secret_key))[
        "member"
    ]
    assert member["points"]["available"] == 50
    assert [r["code"] for r in member["redemptions"]["nodes"]] == [redemption["code"]]
    kinds = sorted((e["kind"], e["points"]) for e in member["history"]["nodes"])
    assert kinds == [("EARN", 50), ("EARN", 100), ("REDEEM", -100)]

    # and the store recording signup as before pays nothing more
    again = await gql(
        RECORD_ACTION,
        {"input": {"externalId": "ann", "action": "signup"}},
        token=tenant.secret_key,
    )
    assert [e["code"] for e in again["recordAction"]["errors"]] == ["ACTION_LIMIT_REACHED"]
    # while other actions pay as they did
    review = await gql(
        RECORD_ACTION,
        {"input": {"externalId": "ann", "action": "review"}},
        token=tenant.secret_key,
    )
    assert review["recordAction"]["errors"] == []


async def test_a_retried_enrolment_gives_nothing_twice(gql, tenant, services):
    # given a welcome offer of points only
    await _offer(gql, tenant, awardSignup=True)

    # when the store's enrolment is sent again, and twice at once for another shopper
    first = await _enroll(gql, tenant, "ann")
    retry = await _enroll(gql, tenant, "ann")
    raced = await asyncio.gather(*(_enroll(gql, tenant, "bob") for _ in range(4)))

    # then one enrolment each gave the points, the others were refused as duplicates
    assert first["welcome"]["points"] == 50
    assert [e["code"] for e in retry["errors"]] == ["DUPLICATE"]
    given = [r for r in raced if r["errors"] == []]
    assert len(given) == 1 and given[0]["welcome"]["points"] == 50
    assert all([e["code"] for e in r["errors"]] == ["DUPLICATE"] for r in raced if r not in given)
    for enrolled in (first, given[0]):
        member = await gql(MEMBER, {"id": enrolled["member"]["id"]}, token=tenant.secret_key)
        assert member["member"]["points"] == {"available": 50, "lifetime": 50}
    await assert_ledger_matches_balances(services, tenant)


async def test_the_last_welcome_code_goes_to_one_of_two_shoppers_enrolling_at_once(gql, tenant):
    # given a welcome reward with one left in stock, and points
    reward = await _ten_percent(gql, tenant, stock=1)
    await _offer(gql, tenant, awardSignup=True, rewardId=reward)

    # when two shoppers enrol at once, then a third
    pair = await asyncio.gather(_enroll(gql, tenant, "ann"), _enroll(gql, tenant, "bob"))
    third = await _enroll(gql, tenant, "cy")

    # then every one is enrolled with the points, one alone with the code
    for enrolled in (*pair, third):
        assert enrolled["errors"] == []
        assert enrolled["welcome"]["points"] == 50
    codes = [e["welcome"]["redemption"] for e in (*pair, third)]
    assert sum(c is not None for c in codes) == 1
    assert codes[2] is None


async def test_a_referred_shopper_gets_the_welcome_offer_too(gql, tenant, enroll):
    # given a welcome reward only, and a member who refers a friend
    reward = await _ten_percent(gql, tenant)
    await _offer(gql, tenant, rewardId=reward)
    referrer = await _enroll(gql, tenant, "ann")
    code = referrer["member"]["referralCode"]

    # when the friend enrols with the code
    friend = await _enroll(gql, tenant, "bob", referralCode=code)

    # then the friend is referred and has the welcome code, and no signup points
    assert friend["errors"] == []
    assert friend["referral"] is not None
    assert friend["welcome"]["points"] == 0
    assert friend["welcome"]["redemption"]["code"]


async def test_without_an_offer_enrolment_gives_nothing(gql, tenant):
    # given a welcome offer, then cleared
    await _offer(gql, tenant, awardSignup=True)
    cleared = await _configure(gql, tenant, clearWelcomeOffer=True)
    assert cleared["errors"] == [] and cleared["program"]["welcomeOffer"] is None

    # when a shopper enrols
    enrolled = await _enroll(gql, tenant, "ann")

    # then nothing was given, and the store may record signup itself
    assert enrolled["welcome"] is None
    assert enrolled["member"]["points"]["available"] == 0
    recorded = await gql(
        RECORD_ACTION, {"input": {"externalId": "ann", "action": "signup"}}, token=tenant.secret_key
    )
    assert recorded["recordAction"]["entry"]["points"] == 50


async def test_a_welcome_offer_that_cannot_work_is_refused(gql, tenant):
    variable = await make_reward(
        gql,
        tenant,
        name="Cash",
        pointsCost=None,
        value=None,
        minPoints=100,
        maxPoints=500,
        stepPoints=100,
        valuePerStep=100,
    )
    cases = [
        (
            {"actions": [], "welcomeOffer": {"awardSignup": True}},
            "INVALID",
            ["input", "welcomeOffer", "awardSignup"],
        ),
        ({"welcomeOffer": {}}, "INVALID", ["input", "welcomeOffer"]),
        (
            {"welcomeOffer": {"rewardId": variable}},
            "INVALID",
            ["input", "welcomeOffer", "rewardId"],
        ),
        (
            {
                "welcomeOffer": {
                    "rewardId": "UmV3YXJkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA"
                }
            },
            "NOT_FOUND",
            ["input", "welcomeOffer", "rewardId"],
        ),
    ]
    for fields, code, field in cases:
        answer = await _configure(gql, tenant, **fields)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, field)], fields
        assert answer["program"] is None

    # and the keys may not configure it
    for token in (tenant.secret_key, tenant.publishable_key):
        errors = await gql.errors(CONFIGURE, {"input": {"clearWelcomeOffer": True}}, token=token)
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
