"""A tenant seeded as a live one looks: members with points history, tiers, rewards,
referrals and redemptions, a stamp card with stamps, a custom segment with a win-back
campaign, surveys with answers, guest orders and analytics settings, and a credential of
every kind, so the documents compared
reach real rows. Seeding the same way twice gives twins (tests/differential/twins.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.differential.engagement import (
    answer_survey,
    configure_analytics,
    create_segment,
    create_survey,
    grant_to_segment,
)
from tests.support.earning import adjust, configure, earn, enroll, order, record
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import code_of, make_reward, member_token
from tests.support.stamps import set_card

# Every kind of caller: the four credentials, an operator who names no tenant (the agency
# console's own queries), and no credential at all.
CREDENTIALS = ("secret", "publishable", "member", "operator", "agency", "anonymous")

CONFIGURE_REFERRALS = """
mutation ConfigureReferrals($input: ConfigureReferralsInput!) {
  configureReferrals(input: $input) { referrals { version } errors { code field message } }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
MARK_USED = """
mutation MarkUsed($input: MarkRedemptionUsedInput!) {
  markRedemptionUsed(input: $input) { redemption { status } errors { code field message } }
}
"""
ERASE = """
mutation Erase($input: EraseMemberInput!) {
  eraseMember(input: $input) { member { status } errors { code field message } }
}
"""
ENTRIES = """
query Entries($id: ID!) { member(id: $id) { referralCode history(first: 1) { nodes { id } } } }
"""

# A custom segment of members with 100 points or more and an order in the last 90 days
# (alice alone), and the win-back campaign that gave its members points.
SEGMENT = "big-spenders"
SEGMENT_RULE = {
    "all": [
        {"condition": {"field": "POINTS_BALANCE", "op": "GTE", "value": 100}},
        {"condition": {"field": "ORDERS", "op": "GTE", "value": 1, "windowDays": 90}},
    ]
}
CAMPAIGN = "spring-back"


@dataclass(frozen=True)
class World:
    kit: TenantKit
    alice: str  # points from an adjustment and an order, two redemptions, referred bob
    bob: str  # enrolled through alice's referral code
    carol: str  # no points at all
    dave: str  # erased
    referral_code: str  # alice's
    entry: str  # a ledger entry of alice's
    reward: str  # affordable
    prize: str  # out of reach
    silver: str
    gold: str
    used_code: str
    issued_code: str
    member_token: str  # alice's
    survey: str  # NPS, paying points once; answered by alice and bob
    csat: str  # CSAT, paying nothing; answered by alice and carol

    def credential(self, kind: str) -> tuple[str | None, str | None]:
        """(the bearer token, the X-Tenant header) of a caller of `kind` (CREDENTIALS)."""
        kit = self.kit
        return {
            "secret": (kit.secret_key, None),
            "publishable": (kit.publishable_key, None),
            "member": (self.member_token, None),
            "operator": (kit.operator_token, kit.slug),
            "agency": (kit.operator_token, None),
            "anonymous": (None, None),
        }[kind]

    def known(self) -> dict[str, str]:
        """This twin's own values, each by what it is (tests/differential/twins.py)."""
        named = {
            "alice": self.alice,
            "bob": self.bob,
            "carol": self.carol,
            "dave": self.dave,
            "referral code": self.referral_code,
            "entry": self.entry,
            "reward": self.reward,
            "prize": self.prize,
            "silver": self.silver,
            "gold": self.gold,
            "used code": self.used_code,
            "issued code": self.issued_code,
            "survey": self.survey,
            "csat": self.csat,
            "tenant id": self.kit.id,
            "slug": self.kit.slug,
            "operator email": self.kit.operator_email,
        }
        return {value: f"<{name}>" for name, value in named.items()}


async def seed_world(gql: GraphQLClient, kit: TenantKit) -> World:
    """Seeds `kit`'s tenant through the API, the same way every time."""
    # Given a program whose order points wait a week and expire, referrals paid at signup,
    # two tiers and two rewards
    await configure(gql, kit, pendingDays=7, lotExpiry={"after": 20, "unit": "DAYS"})
    referrals = {"active": True, "trigger": "SIGNUP", "referrerReward": {"points": 100}}
    done = await gql(
        CONFIGURE_REFERRALS,
        {"input": {**referrals, "refereeReward": {"points": 50}}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert done["configureReferrals"]["errors"] == [], done
    silver = await _tier(gql, kit, "Silver", 100)
    gold = await _tier(gql, kit, "Gold", 5000)
    reward = await make_reward(gql, kit, description="Five off your next order")
    prize = await make_reward(gql, kit, name="Grand prize", pointsCost=100_000, stock=3)

    # And a stamp card of four stamps worth 40 points, stamps that expire: one a unit of
    # SKU-1 and one an order of $10 or more; and a custom segment, defined before anyone
    # enrols, so that each member's own events keep it current
    await set_card(
        gql,
        kit,
        cardSize=4,
        rules=[
            {"id": "sku-1", "stamps": 1, "skus": ["SKU-1"]},
            {"id": "visit", "stamps": 1, "minOrderValue": 1000},
        ],
        rewardPoints=40,
        expiry={"after": 20, "unit": "DAYS"},
        resets=True,
    )
    await create_segment(gql, kit, SEGMENT, "Big spenders", SEGMENT_RULE)

    # And alice with points from an adjustment and an order, bob she referred, carol with
    # nothing, and dave erased
    alice = await enroll(
        gql, kit, externalId="alice", email="alice@example.com", name="Alice", birthday="1990-05-17"
    )
    await adjust(gql, kit, alice, 300)
    placed = datetime.now(UTC) - timedelta(days=1)
    await earn(gql, kit, order("order-1", alice, ("SKU-1", 2, 2500), placed_at=placed))
    seen = await gql(ENTRIES, {"id": alice}, token=kit.secret_key)
    referral_code = seen["member"]["referralCode"]
    bob = await enroll(gql, kit, externalId="bob", name="Bob", referralCode=referral_code)
    carol = await enroll(gql, kit, externalId="carol", email="carol@example.com")
    dave = await enroll(gql, kit, externalId="dave", email="dave@example.com", name="Dave")
    erased = await gql(ERASE, {"input": {"id": dave}}, token=kit.secret_key)
    assert erased["eraseMember"]["errors"] == [], erased

    # And two codes of alice's, one of them used, and a member token for her
    used_code = await code_of(gql, kit, reward, alice)
    marked = await gql(
        MARK_USED, {"input": {"code": used_code, "orderId": "order-2"}}, token=kit.secret_key
    )
    assert marked["markRedemptionUsed"]["errors"] == [], marked
    issued_code = await code_of(gql, kit, reward, alice)
    token = await member_token(gql, kit, alice)

    # And a win-back campaign for the custom segment (alice alone), after which alice orders
    # again: her first order's three stamps and this one's two complete a card
    await grant_to_segment(
        gql, kit, segment=SEGMENT, campaignKey=CAMPAIGN, points=25, reason="We miss you"
    )
    await earn(gql, kit, order("order-3", alice, ("SKU-1", 1, 1500), placed_at=datetime.now(UTC)))

    # And an NPS survey paying 10 points once, with follow-ups, that alice answers in the
    # app and the store answers for bob; and a CSAT survey paying nothing, that alice and
    # carol answer (carol keeps no points)
    survey = await create_survey(
        gql,
        kit,
        kind="NPS",
        question="Would you recommend us?",
        followUps=[
            {"group": "DETRACTOR", "question": "What went wrong?"},
            {"group": "PROMOTER", "question": "What did you like?"},
        ],
        thankYou="Thank you!",
        points=10,
    )
    csat = await create_survey(gql, kit, kind="CSAT", question="How was your visit?")
    await answer_survey(gql, token, surveyId=survey, score=9, answer="Fast", idempotencyKey="a")
    await answer_survey(
        gql, kit.secret_key, surveyId=survey, externalId="bob", score=3, answer="Slow"
    )
    await answer_survey(gql, token, surveyId=csat, score=4)
    await answer_survey(gql, kit.secret_key, surveyId=csat, externalId="carol", score=2)

    # And guest orders, two of one guest and one of nobody known, and the margin and cost
    # the analytics take ROI at
    now = datetime.now(UTC)
    for order_id, guest in (("guest-1", "g-7"), ("guest-2", "g-7"), ("guest-3", None)):
        extra = {"guestId": guest} if guest else {}
        placed = await record(
            gql, kit, order(order_id, None, ("SKU-2", 1, 3000), placed_at=now, **extra)
        )
        assert placed["errors"] == [], placed
    await configure_analytics(gql, kit, grossMargin="0.4", monthlyProgramCost=20000)
    entries = await gql(ENTRIES, {"id": alice}, token=kit.secret_key)
    return World(
        kit=kit,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        referral_code=referral_code,
        entry=entries["member"]["history"]["nodes"][0]["id"],
        reward=reward,
        prize=prize,
        silver=silver,
        gold=gold,
        used_code=used_code,
        issued_code=issued_code,
        member_token=token,
        survey=survey,
        csat=csat,
    )


async def _tier(gql: GraphQLClient, kit: TenantKit, name: str, threshold: int) -> str:
    made = await gql(
        CREATE_TIER,
        {"input": {"name": name, "threshold": threshold, "multiplier": "1.5", "perks": [name]}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert made["createTier"]["errors"] == [], made
    tier_id: str = made["createTier"]["tier"]["id"]
    return tier_id
