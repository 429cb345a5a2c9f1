"""Referrals: linked at sign-up, rewarded once, refused by the fraud rules, clawed back on
refund, capped per referrer per period."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from api.schema.common.ids import to_global_id
from tests.conftest import CLOCK_START
from tests.support.ledger_checks import assert_ledger_matches_balances

CONFIGURE = """
mutation Configure($input: ConfigureReferralsInput!) {
  configureReferrals(input: $input) {
    referrals {
      version active urlTemplate landingUrl trigger minOrderValue cap capPeriod
      referrerReward { points rewardId reward { name } }
      refereeReward { points rewardId }
    }
    errors { code field message }
  }
}
"""
ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) {
    member { id referralCode referralUrl }
    referral { status rejectReason rewardedAt refereePoints referrerPoints }
    errors { code field message }
  }
}
"""
MEMBER = """
query Member($id: ID!) {
  member(id: $id) {
    referralCode referralUrl
    points { available pending lifetime }
    referrals(first: 50) {
      nodes { status rejectReason rewardedAt qualifyingOrderId referee { id } refereeName }
    }
    referralStats { invited pending rewarded rejected reversed pointsEarned }
    referral { status }
    referredBy { id }
    redemptions(first: 10) { nodes { code status points } }
  }
}
"""
RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) { points { available } errors { code field message } }
}
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) { shortfall errors { code field message } }
}
"""
UPDATE = """
mutation Update($input: UpdateMemberInput!) {
  updateMember(input: $input) { errors { code field message } }
}
"""
CREATE_REWARD = """
mutation Create($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""
ISSUE_TOKEN = """
mutation Token($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code } }
}
"""
ME = """
query Me {
  me {
    referralUrl
    referrals(first: 10) { nodes { id status refereeName referee { id } } }
    referralStats { invited rewarded pointsEarned }
    referredBy { id }
  }
}
"""
ADJUST = """
mutation Adjust($input: AdjustPointsInput!) { adjustPoints(input: $input) { errors { code } } }
"""
CONFIGURE_PROGRAM = """
mutation ConfigureProgram($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { errors { code field message } }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Referral { status } } }"
PROGRAM = "query { program { referrals { version trigger refereeReward { points } } } }"
MEMBERS = (
    "query($search: String) { members(first: 50, filter: {search: $search}) { nodes { id } } }"
)


async def configure(gql, kit, **given: Any) -> dict[str, Any]:
    data = await gql(CONFIGURE, {"input": given}, token=kit.operator_token, tenant=kit.slug)
    payload: dict[str, Any] = data["configureReferrals"]
    return payload


async def enrol(gql, kit, **given: Any) -> dict[str, Any]:
    given.setdefault("externalId", uuid.uuid4().hex)
    data = await gql(ENROLL, {"input": given}, token=kit.secret_key)
    payload: dict[str, Any] = data["enrollMember"]
    return payload


async def member(gql, kit, member_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql(MEMBER, {"id": member_id}, token=kit.secret_key))["member"]
    return found


def order(order_id: str, member_id: str, paid: int) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "memberId": member_id,
        "currency": "USD",
        "placedAt": CLOCK_START.isoformat(),
        "lines": [{"sku": "MUG", "quantity": 1, "unitPrice": paid}],
    }


async def record(gql, kit, body: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(RECORD, {"input": body}, token=kit.secret_key))[
        "recordOrder"
    ]
    assert payload["errors"] == [], payload
    return payload


async def referrer_and_code(gql, kit, **given: Any) -> tuple[str, str]:
    made = await enrol(gql, kit, **given)
    assert made["errors"] == [], made
    return made["member"]["id"], made["member"]["referralCode"]


# --- signup and first-order triggers -------------------------------------------------------


async def test_a_signup_referral_rewards_both_sides_at_once(clocked, tenant):
    # given a program that rewards sign-ups: 100 points to the referrer, 50 to the friend
    gql = clocked.gql
    configured = await configure(
        gql, tenant, trigger="SIGNUP", referrerReward={"points": 100}, refereeReward={"points": 50}
    )
    assert configured["errors"] == []
    referrer, code = await referrer_and_code(gql, tenant, name="Ada Lovelace")

    # when a friend enrols with the referrer's code, typed in lower case
    made = await enrol(gql, tenant, referralCode=f" {code.lower()} ", name="Bob Smith")

    # then the referral is rewarded and both balances show it
    assert made["errors"] == []
    assert made["referral"]["status"] == "REWARDED"
    assert (made["referral"]["referrerPoints"], made["referral"]["refereePoints"]) == (100, 50)
    friend = made["member"]["id"]
    assert (await member(gql, tenant, friend))["points"]["available"] == 50
    assert (await member(gql, tenant, friend))["referredBy"] == {"id": referrer}
    seen = await member(gql, tenant, referrer)
    assert seen["points"]["available"] == 100
    assert seen["referrals"]["nodes"][0]["referee"] == {"id": friend}
    assert seen["referrals"]["nodes"][0]["refereeName"] == "Bob S."
    assert seen["referralStats"] == {
        "invited": 1,
        "pending": 0,
        "rewarded": 1,
        "rejected": 0,
        "reversed": 0,
        "pointsEarned": 100,
    }
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_first_order_referral_waits_for_an_order_of_the_minimum_value(clocked, tenant):
    # given a program that rewards the friend's first order of at least $50
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        trigger="FIRST_ORDER",
        minOrderValue=5000,
        referrerReward={"points": 100},
        refereeReward={"points": 50},
    )
    referrer, code = await referrer_and_code(gql, tenant)
    made = await enrol(gql, tenant, referralCode=code)
    friend = made["member"]["id"]

    # when the friend signs up, then orders $30
    assert made["referral"]["status"] == "PENDING"
    await record(gql, tenant, order("small", friend, 3000))

    # then nothing is rewarded yet
    assert (await member(gql, tenant, friend))["referral"] == {"status": "PENDING"}
    assert (await member(gql, tenant, referrer))["points"]["available"] == 0

    # when the friend orders $60, then $80
    first = await record(gql, tenant, order("big", friend, 6000))
    await record(gql, tenant, order("bigger", friend, 8000))

    # then the $60 order qualified, once: 60 + 50 points for the friend, 100 for the referrer
    assert first["points"]["available"] == 30 + 60 + 50
    seen = await member(gql, tenant, referrer)
    assert seen["referrals"]["nodes"][0]["status"] == "REWARDED"
    assert seen["referrals"]["nodes"][0]["qualifyingOrderId"] == "big"
    assert seen["points"]["available"] == 100
    assert (await member(gql, tenant, friend))["points"]["available"] == 30 + 60 + 80 + 50
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_concurrent_first_orders_reward_the_referral_once(clocked, tenant):
    # given a referral waiting for the friend's first order, in a program where orders earn
    # no points of their own (so nothing but the referral serialises the orders)
    gql = clocked.gql
    program = await gql(
        CONFIGURE_PROGRAM,
        {"input": {"pointsPerUnit": "0"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert program["configureProgram"]["errors"] == []
    await configure(gql, tenant, referrerReward={"points": 100}, refereeReward={"points": 50})
    referrer, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]

    # when ten different first orders of the friend arrive at the same time
    await asyncio.gather(*(record(gql, tenant, order(f"o-{i}", friend, 1000)) for i in range(10)))

    # then each side was rewarded once
    assert (await member(gql, tenant, referrer))["points"]["available"] == 100
    assert (await member(gql, tenant, friend))["points"]["available"] == 50
    stats = (await member(gql, tenant, referrer))["referralStats"]
    assert (stats["rewarded"], stats["pointsEarned"]) == (1, 100)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_catalog_reward_is_issued_free_as_a_redemption(clocked, tenant):
    # given a $5-off reward costing 100 points, given to each new friend on sign-up
    gql = clocked.gql
    created = await gql(
        CREATE_REWARD,
        {"input": {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100}},
        token=tenant.secret_key,
    )
    reward_id = created["createReward"]["reward"]["id"]
    configured = await configure(
        gql, tenant, trigger="SIGNUP", refereeReward={"rewardId": reward_id}
    )
    assert configured["referrals"]["refereeReward"] == {"points": None, "rewardId": reward_id}
    _, code = await referrer_and_code(gql, tenant)

    # when a friend enrols with the code
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]

    # then the friend holds an issued code and no points, having paid nothing
    seen = await member(gql, tenant, friend)
    assert [(r["status"], r["points"]) for r in seen["redemptions"]["nodes"]] == [("ISSUED", 100)]
    assert seen["points"] == {"available": 0, "pending": 0, "lifetime": 100}
    await assert_ledger_matches_balances(clocked.services, tenant)


# --- fraud rules ---------------------------------------------------------------------------


async def test_an_unknown_code_enrols_nobody(clocked, tenant):
    gql = clocked.gql
    # when a shopper enrols with a code no member has
    made = await enrol(gql, tenant, externalId="ghost-1", referralCode="NOSUCH99")

    # then a typed error names the field, and no member was created
    assert made["member"] is None
    assert made["errors"] == [
        {
            "code": "NOT_FOUND",
            "field": ["input", "referralCode"],
            "message": "No member has this referral code.",
        }
    ]
    found = await gql(MEMBERS, {"search": "ghost-1"}, token=tenant.secret_key)
    assert found["members"]["nodes"] == []

    # and a blank code is no code: the shopper is enrolled without a referral
    blank = await enrol(gql, tenant, externalId="ghost-1", referralCode="  ")
    assert blank["errors"] == []
    assert blank["referral"] is None


async def test_the_same_person_by_email_cannot_refer_themself(clocked, tenant):
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", referrerReward={"points": 100})
    referrer, code = await referrer_and_code(gql, tenant, email="Ada.Lovelace@gmail.com")

    # when the same inbox signs up again with a +tag and without the dot
    made = await enrol(gql, tenant, email="adalovelace+friend@GMAIL.com", referralCode=code)

    # then the member is enrolled, but the referral is rejected and nobody is rewarded
    assert made["errors"] == []
    assert made["referral"]["status"] == "REJECTED"
    assert made["referral"]["rejectReason"] == "SELF_REFERRAL"
    assert (await member(gql, tenant, referrer))["points"]["available"] == 0


async def test_the_same_person_by_external_id_cannot_refer_themself(clocked, tenant):
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", referrerReward={"points": 100})
    _, code = await referrer_and_code(gql, tenant, externalId="CUST-77")

    made = await enrol(gql, tenant, externalId=" cust-77", referralCode=code)

    assert made["referral"]["rejectReason"] == "SELF_REFERRAL"


async def test_a_referee_who_becomes_the_referrer_by_email_is_refused_at_reward_time(
    clocked, tenant
):
    # given a pending referral of a friend with their own email
    gql = clocked.gql
    await configure(gql, tenant, referrerReward={"points": 100})
    referrer, code = await referrer_and_code(gql, tenant, email="ada@example.com")
    made = await enrol(gql, tenant, email="friend@example.com", referralCode=code)
    friend = made["member"]["id"]
    assert made["referral"]["status"] == "PENDING"

    # when the "friend" changes their email to the referrer's, with a tag, then orders
    changed = await gql(
        UPDATE, {"input": {"id": friend, "email": "ada+2@example.com"}}, token=tenant.secret_key
    )
    assert changed["updateMember"]["errors"] == []
    await record(gql, tenant, order("o-1", friend, 2000))

    # then the referral is rejected as a self-referral
    seen = await member(gql, tenant, referrer)
    assert seen["referrals"]["nodes"][0]["rejectReason"] == "SELF_REFERRAL"
    assert seen["points"]["available"] == 0


async def test_a_referee_must_be_new(clocked, tenant):
    # given a member bob@example.com, and another member's referral code
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", referrerReward={"points": 100})
    await enrol(gql, tenant, email="bob@example.com")
    referrer, code = await referrer_and_code(gql, tenant)

    # when Bob signs up again under a tagged address with the code
    made = await enrol(gql, tenant, email="Bob+again@example.com", referralCode=code)

    # then he is enrolled, but the referral is rejected
    assert made["referral"]["rejectReason"] == "NOT_NEW"
    assert (await member(gql, tenant, referrer))["points"]["available"] == 0


async def test_a_look_alike_enrolled_later_does_not_make_the_referee_old(clocked, tenant):
    # given Carol, referred and waiting for her first order
    gql = clocked.gql
    await configure(gql, tenant, referrerReward={"points": 100})
    referrer, code = await referrer_and_code(gql, tenant)
    carol = (await enrol(gql, tenant, email="carol@example.com", referralCode=code))["member"]
    # when a second account carol+2@ is made afterwards, and Carol orders
    await enrol(gql, tenant, email="carol+2@example.com")
    await record(gql, tenant, order("o-1", carol["id"], 2000))

    # then Carol was new when she was referred: the referral is rewarded
    seen = await member(gql, tenant, referrer)
    assert seen["referrals"]["nodes"][0]["status"] == "REWARDED"
    assert seen["points"]["available"] == 100


async def test_the_cap_per_referrer_holds_per_period_as_the_clock_moves(clocked, tenant):
    # given sign-up rewards capped at two per referrer per month
    gql, clock = clocked.gql, clocked.clock
    configured = await configure(
        gql, tenant, trigger="SIGNUP", referrerReward={"points": 100}, cap=2, capPeriod="MONTH"
    )
    assert configured["referrals"]["cap"] == 2
    referrer, code = await referrer_and_code(gql, tenant)

    # when three friends sign up in March
    march = [await enrol(gql, tenant, referralCode=code) for _ in range(3)]

    # then two are rewarded and the third is refused
    assert [m["referral"]["status"] for m in march] == ["REWARDED", "REWARDED", "REJECTED"]
    assert march[2]["referral"]["rejectReason"] == "CAP_REACHED"

    # when the clock moves into April and a fourth friend signs up
    clock.advance(timedelta(days=31))
    april = await enrol(gql, tenant, referralCode=code)

    # then the cap starts again
    assert april["referral"]["status"] == "REWARDED"
    assert (await member(gql, tenant, referrer))["points"]["available"] == 300
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_the_cap_holds_when_friends_sign_up_at_the_same_moment(clocked, tenant):
    # given sign-up rewards capped at three per referrer, ever
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", referrerReward={"points": 100}, cap=3)
    referrer, code = await referrer_and_code(gql, tenant)

    # when ten friends enrol with the code at once
    made = await asyncio.gather(*(enrol(gql, tenant, referralCode=code) for _ in range(10)))

    # then exactly three referrals are rewarded, and the rest refused for the cap
    statuses = sorted(m["referral"]["status"] for m in made)
    assert statuses == ["REJECTED"] * 7 + ["REWARDED"] * 3
    assert {m["referral"]["rejectReason"] for m in made} == {None, "CAP_REACHED"}
    assert (await member(gql, tenant, referrer))["points"]["available"] == 300
    await assert_ledger_matches_balances(clocked.services, tenant)


# --- clawback ------------------------------------------------------------------------------


async def test_a_refund_below_the_minimum_claws_both_rewards_back(clocked, tenant):
    # given a referral rewarded on a $60 first order (minimum $50)
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        minOrderValue=5000,
        referrerReward={"points": 100},
        refereeReward={"points": 50},
    )
    referrer, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]
    await record(gql, tenant, order("o-1", friend, 6000))
    assert (await member(gql, tenant, referrer))["points"]["available"] == 100

    # when $5 is refunded, the order still qualifies: nothing is clawed back
    refund = {"orderId": "o-1", "refundId": "r-1", "amount": 500}
    assert (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"][
        "errors"
    ] == []
    assert (await member(gql, tenant, referrer))["points"]["available"] == 100

    # when $20 more is refunded, the order falls below $50
    refund = {"orderId": "o-1", "refundId": "r-2", "amount": 2000}
    assert (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"][
        "errors"
    ] == []

    # then both referral rewards are taken back with new entries, and the referral says so
    seen = await member(gql, tenant, referrer)
    assert seen["points"]["available"] == 0
    assert seen["referrals"]["nodes"][0]["status"] == "REVERSED"
    assert seen["referralStats"]["pointsEarned"] == 0
    assert (await member(gql, tenant, friend))["points"]["available"] == 60 - 25
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_spent_referral_points_become_a_debt_under_allow_negative(clocked, tenant):
    # given a program that lets refunds make debts, and a referrer who spent their reward
    gql = clocked.gql
    program = await gql(
        CONFIGURE_PROGRAM,
        {"input": {"refundPolicy": "ALLOW_NEGATIVE"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert program["configureProgram"]["errors"] == []
    await configure(gql, tenant, referrerReward={"points": 100})
    referrer, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]
    await record(gql, tenant, order("o-1", friend, 2000))
    spent = await gql(
        ADJUST, {"input": {"memberId": referrer, "points": -70}}, token=tenant.secret_key
    )
    assert spent["adjustPoints"]["errors"] == []

    # when the qualifying order is refunded in full
    refund = {"orderId": "o-1", "refundId": "r-1", "amount": 2000}
    assert (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"][
        "errors"
    ] == []

    # then the 30 points left are taken, and the 70 spent are owed
    points = (await member(gql, tenant, referrer))["points"]
    assert points["available"] == -70
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_refund_cancels_an_unused_gifted_code(clocked, tenant):
    # given a friend who got a free reward code on their first order
    gql = clocked.gql
    created = await gql(
        CREATE_REWARD,
        {"input": {"name": "Mug", "kind": "FREE_PRODUCT", "sku": "MUG", "pointsCost": 80}},
        token=tenant.secret_key,
    )
    assert created["createReward"]["errors"] == []
    reward_id = created["createReward"]["reward"]["id"]
    await configure(gql, tenant, refereeReward={"rewardId": reward_id})
    _, code = await referrer_and_code(gql, tenant)
    friend = (await enrol(gql, tenant, referralCode=code))["member"]["id"]
    await record(gql, tenant, order("o-1", friend, 2000))
    issued = (await member(gql, tenant, friend))["redemptions"]["nodes"]
    assert [r["status"] for r in issued] == ["ISSUED"]

    # when the order is refunded in full
    refund = {"orderId": "o-1", "refundId": "r-1", "amount": 2000}
    assert (await gql(REFUND, {"input": refund}, token=tenant.secret_key))["refundOrder"][
        "errors"
    ] == []

    # then the code is cancelled and the friend keeps nothing of the order or the gift
    seen = await member(gql, tenant, friend)
    assert [r["status"] for r in seen["redemptions"]["nodes"]] == ["CANCELLED"]
    assert seen["points"]["available"] == 0
    assert seen["referral"] == {"status": "REVERSED"}
    await assert_ledger_matches_balances(clocked.services, tenant)


# --- settings and links --------------------------------------------------------------------


async def test_the_referral_url_follows_the_tenants_template(clocked, tenant):
    gql = clocked.gql
    made = await enrol(gql, tenant)
    assert made["member"]["referralUrl"].endswith(
        f"/r/{tenant.slug}/{made['member']['referralCode']}"
    )

    configured = await configure(gql, tenant, urlTemplate="https://shop.example/?ref={code}")
    assert configured["errors"] == []

    again = await enrol(gql, tenant)
    assert again["member"]["referralUrl"] == (
        f"https://shop.example/?ref={again['member']['referralCode']}"
    )


NO_REWARD = to_global_id("Reward", uuid.UUID(int=0))


async def test_bad_settings_are_refused_with_the_field_at_fault(clocked, tenant):
    gql = clocked.gql
    cases = [
        ({"urlTemplate": "https://shop.example/?ref="}, ["input", "urlTemplate"], "INVALID"),
        ({"urlTemplate": "https://x.example/{cod}"}, ["input", "urlTemplate"], "INVALID"),
        ({"urlTemplate": "javascript:{code}"}, ["input", "urlTemplate"], "INVALID"),
        (
            {"referrerReward": {"points": 5, "rewardId": NO_REWARD}},
            ["input", "referrerReward", "points"],
            "INVALID",
        ),
        ({"refereeReward": {"points": 0}}, ["input", "refereeReward", "points"], "INVALID"),
        (
            {"refereeReward": {"rewardId": NO_REWARD}},
            ["input", "refereeReward", "rewardId"],
            "NOT_FOUND",
        ),
        ({"cap": 0}, ["input", "cap"], "INVALID"),
        ({"capPeriod": "MONTH"}, ["input", "capPeriod"], "INVALID"),
        ({"minOrderValue": -1}, ["input", "minOrderValue"], "INVALID"),
    ]
    for given, field, code in cases:
        payload = await configure(gql, tenant, **given)
        assert payload["referrals"] is None, given
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], given
    # and nothing was saved
    assert (await gql(PROGRAM, token=tenant.publishable_key))["program"]["referrals"][
        "version"
    ] == 0


async def test_the_program_shows_its_referral_settings_to_a_publishable_key(clocked, tenant):
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", refereeReward={"points": 50})

    program = (await gql(PROGRAM, token=tenant.publishable_key))["program"]

    assert program["referrals"] == {
        "version": 1,
        "trigger": "SIGNUP",
        "refereeReward": {"points": 50},
    }


async def test_a_member_sees_their_referrals_but_not_their_friends_records(clocked, tenant):
    # given a referrer with one rewarded friend
    gql = clocked.gql
    await configure(gql, tenant, trigger="SIGNUP", referrerReward={"points": 10})
    referrer, code = await referrer_and_code(gql, tenant)
    await enrol(gql, tenant, referralCode=code, name="Grace Brewster Hopper")
    issued = await gql(ISSUE_TOKEN, {"input": {"memberId": referrer}}, token=tenant.secret_key)
    token = issued["issueMemberToken"]["token"]

    # when the referrer's app asks for their referrals
    me = (await gql(ME, token=token))["me"]

    # then it sees the friend's short name and status, never the friend's member record
    referral_id = me["referrals"]["nodes"][0]["id"]
    assert me["referrals"]["nodes"] == [
        {"id": referral_id, "status": "REWARDED", "refereeName": "Grace H.", "referee": None}
    ]
    assert me["referralStats"] == {"invited": 1, "rewarded": 1, "pointsEarned": 10}
    assert me["referredBy"] is None
    assert me["referralUrl"].endswith(code)

    # and node(id:) finds the referral for this member, but not for a stranger
    assert (await gql(NODE, {"id": referral_id}, token=token))["node"] == {
        "id": referral_id,
        "status": "REWARDED",
    }
    stranger = (await enrol(gql, tenant))["member"]["id"]
    issued = await gql(ISSUE_TOKEN, {"input": {"memberId": stranger}}, token=tenant.secret_key)
    other = issued["issueMemberToken"]["token"]
    assert (await gql(NODE, {"id": referral_id}, token=other))["node"] is None


CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
TIER = "query($id: ID!) { member(id: $id) { tier { current { name } } } }"


async def test_referral_points_lift_both_sides_into_a_tier_at_once(clocked, tenant):
    # given a Silver tier at 100 points earned, and sign-up rewards of 100 and 150
    gql = clocked.gql
    created = await gql(
        CREATE_TIER,
        {"input": {"name": "Silver", "threshold": 100}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    assert created["createTier"]["errors"] == []
    await configure(
        gql, tenant, trigger="SIGNUP", referrerReward={"points": 100}, refereeReward={"points": 150}
    )
    referrer, code = await referrer_and_code(gql, tenant, name="Ada Lovelace")

    # when a friend enrols with the referrer's code
    made = await enrol(gql, tenant, referralCode=code)

    # then both hold Silver without waiting for another order or the worker
    assert made["referral"]["status"] == "REWARDED"
    for who in (referrer, made["member"]["id"]):
        standing = (await gql(TIER, {"id": who}, token=tenant.secret_key))["member"]["tier"]
        assert standing["current"] == {"name": "Silver"}, who
    await assert_ledger_matches_balances(clocked.services, tenant)
