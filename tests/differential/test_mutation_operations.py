"""Given three tenants seeded the same way (twins), when the same story of mutations (every
mutation document clients send, retries, refusals and mistakes included) is played on each,
one tenant through the production app, one through the same app with the engine off and one
through the plain reference schema, then every step answers the same on all three, once
what legitimately differs between twins (ids, times, random codes: twins.py) is set aside.

Mutations change state, so each side writes to a tenant of its own; the steps run in lockstep,
and a step's results (a new member, a code) are carried into later steps per twin."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import to_global_id
from api.services import Services
from tests.conftest import MakeTenant
from tests.differential.answers import Answer, assert_same
from tests.differential.documents import documents_of
from tests.differential.reference import Reference
from tests.differential.sides import AppSide, EngineCount, Side
from tests.differential.twins import normalise
from tests.differential.world import SEGMENT, World, seed_world
from tests.support.operations import OPERATIONS
from tests.support.throttling import PASSWORD, operator_with_password

INVITED = "a long and uncommon passphrase"

pytestmark = pytest.mark.differential

Carried = dict[str, str]  # what earlier steps made, by name, on one twin
Variables = Callable[[World, Carried], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    path: str  # under graphql/operations/, or the name of `text`
    caller: str  # a kind of tests/differential/world.py CREDENTIALS, or "erin" (her token)
    variables: Variables
    # What to carry from the answer's data: a name and the path to the value
    keep: tuple[str, tuple[str, ...]] | None = None
    keep_too: tuple[str, tuple[str, ...]] | None = None
    # Another caller, sent the same step first, who may not do it
    refused: str | None = None
    # A document of the suite's own, for what no client document does
    text: str | None = None

    def document(self) -> str:
        return self.text if self.text is not None else (OPERATIONS / self.path).read_text()


# Mutation fields run one after the other, and a failure of a non-null one (the refused
# configureTiers: a secret key may not) nulls the data and stops the fields after it: the
# third adjustment must not happen, which the balance read next shows.
STOPPED = """
mutation Stopped($m: ID!) {
  first: adjustPoints(input: { memberId: $m, points: 5, idempotencyKey: "stopped-1" }) {
    replayed points { available }
  }
  refused: configureTiers(input: { graceDays: 3 }) { errors { code } }
  after: adjustPoints(input: { memberId: $m, points: 7, idempotencyKey: "stopped-2" }) {
    points { available }
  }
}
"""
# Several fields, one skipped, one refused with a user error, payloads through a fragment.
SEVERAL = """
mutation Several($m: ID!, $skip: Boolean!) {
  a: adjustPoints(input: { memberId: $m, points: 1, idempotencyKey: "several-1" }) {
    ...Adjusted
  }
  b: adjustPoints(input: { memberId: $m, points: 2, idempotencyKey: "several-2" })
    @skip(if: $skip) { ...Adjusted }
  c: adjustPoints(input: { memberId: $m, points: -100000, idempotencyKey: "several-3" }) {
    ...Adjusted
  }
  __typename
}
fragment Adjusted on AdjustPointsPayload {
  __typename replayed points { available lifetime } errors { code field message }
  entry { id kind points }
}
"""
BALANCE = """
query Balance($m: ID!) { member(id: $m) { points { available pending lifetime } } }
"""
# What the analytics make of the story's guest orders: their customers, their orders.
GUESTS = """
query Guests($from: DateTime!, $to: DateTime!) {
  analytics(from: $from, to: $to) {
    repeatPurchaseRate { members guests }
    averageOrderValue { guests { amount currency } }
    purchaseFrequency { guests }
    monetaryBonus
    roi
  }
}
"""
# What the engagement steps left a member: stamps, a card's gift code, answers, segments.
ENGAGED = """
query Engaged($m: ID!) {
  member(id: $m) {
    points { available }
    stamps { collected cardSize cardsCompleted progress available lifetime }
    redemptions { nodes { code status points reward { name } } }
    surveyResponses { nodes { score group answer pointsAwarded } }
    segments
  }
}
"""


# A document of a client team's own, registered as a trusted document.
TEAM = "query Team { program { __typename name } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# One time for every order, so that sending an order again is a retry, not a change.
PLACED = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
# The UTC day the story's orders were placed, as an analytics period.
_DAY = datetime.fromisoformat(PLACED).replace(hour=0, minute=0, second=0, microsecond=0)
TODAY = {"from": _DAY.isoformat(), "to": (_DAY + timedelta(days=1)).isoformat()}


def _order(order_id: str, who: dict[str, str]) -> dict[str, Any]:
    lines = [{"sku": "SKU-9", "quantity": 3, "unitPrice": 1999, "category": "shoes"}]
    return {
        "input": {"orderId": order_id, "currency": "USD", "placedAt": PLACED, "lines": lines, **who}
    }


STORY = [
    # A shopper signs up through alice's link, changes her details, gets and spends points
    Step(
        "storefront/EnrollMember.graphql",
        "secret",
        lambda w, c: {
            "input": {
                "externalId": "erin",
                "email": "erin@example.com",
                "name": "Erin",
                "referralCode": w.referral_code,
            }
        },
        keep=("erin", ("enrollMember", "member", "id")),
        refused="publishable",
    ),
    Step(
        "storefront/EnrollMember.graphql", "secret", lambda w, c: {"input": {"externalId": "alice"}}
    ),
    Step(
        "storefront/UpdateMember.graphql",
        "secret",
        lambda w, c: {"input": {"id": c["erin"], "name": "Erin B", "birthday": "1991-02-03"}},
        refused="member",
    ),
    Step(
        "storefront/AdjustPoints.graphql",
        "secret",
        lambda w, c: {
            "memberId": c["erin"],
            "points": 500,
            "reason": "goodwill",
            "idempotencyKey": "adj-1",
        },
        refused="publishable",
    ),
    Step(  # a retry: the first result, replayed
        "storefront/AdjustPoints.graphql",
        "secret",
        lambda w, c: {
            "memberId": c["erin"],
            "points": 500,
            "reason": "goodwill",
            "idempotencyKey": "adj-1",
        },
    ),
    Step(  # the same key with another input
        "storefront/AdjustPoints.graphql",
        "secret",
        lambda w, c: {"memberId": c["erin"], "points": 7, "idempotencyKey": "adj-1"},
    ),
    Step(  # more than carol has
        "storefront/AdjustPoints.graphql",
        "secret",
        lambda w, c: {"externalId": "carol", "points": -10, "idempotencyKey": "adj-2"},
    ),
    Step(
        "storefront/RecordOrder.graphql",
        "secret",
        lambda w, c: _order("o-9", {"memberId": c["erin"]}),
    ),
    Step(
        "storefront/RecordOrder.graphql",
        "secret",
        lambda w, c: _order("o-9", {"memberId": c["erin"]}),
    ),
    Step(
        "storefront/RecordOrder.graphql",
        "secret",
        lambda w, c: _order("o-10", {"externalId": "nobody"}),
    ),
    # Guests' orders: one a guest orders twice (sent again, unchanged), one without a guest
    # id, and a guest id that is too long
    Step(
        "storefront/RecordGuestOrder.graphql",
        "secret",
        lambda w, c: _order("g-1", {"guestId": "guest-42"}),
        refused="publishable",
    ),
    Step(
        "storefront/RecordGuestOrder.graphql",
        "secret",
        lambda w, c: _order("g-1", {"guestId": "guest-42"}),
    ),
    Step(
        "storefront/RecordGuestOrder.graphql",
        "secret",
        lambda w, c: _order("g-2", {"guestId": "guest-42"}),
    ),
    Step("storefront/RecordGuestOrder.graphql", "secret", lambda w, c: _order("g-3", {})),
    Step(
        "storefront/RecordGuestOrder.graphql",
        "secret",
        lambda w, c: _order("g-4", {"guestId": "g" * 256}),
    ),
    # Documents of several mutation fields, which no client document is
    Step("own/Stopped", "secret", lambda w, c: {"m": c["erin"]}, text=STOPPED),
    Step("own/Balance", "secret", lambda w, c: {"m": c["erin"]}, text=BALANCE),
    Step("own/Several", "secret", lambda w, c: {"m": c["erin"], "skip": True}, text=SEVERAL),
    Step("own/Several", "secret", lambda w, c: {"m": c["erin"], "skip": False}, text=SEVERAL),
    Step("own/Balance", "secret", lambda w, c: {"m": c["erin"]}, text=BALANCE),
    Step(
        "storefront/RedeemReward.graphql",
        "secret",
        lambda w, c: {"rewardId": w.reward, "memberId": c["erin"], "idempotencyKey": "checkout-1"},
        keep=("first code", ("redeemReward", "redemption", "code")),
        refused="publishable",
    ),
    Step(
        "storefront/RedeemReward.graphql",
        "secret",
        lambda w, c: {"rewardId": w.prize, "memberId": c["erin"]},
    ),
    Step(
        "storefront/MarkRedemptionUsed.graphql",
        "secret",
        lambda w, c: {"code": c["first code"], "orderId": "o-11"},
        refused="member",
    ),
    Step(  # another order for a used code
        "storefront/MarkRedemptionUsed.graphql",
        "secret",
        lambda w, c: {"code": c["first code"], "orderId": "o-12"},
    ),
    Step(
        "storefront/RedeemReward.graphql",
        "secret",
        lambda w, c: {"rewardId": w.reward, "externalId": "erin", "subtotal": 4000},
        keep=("second code", ("redeemReward", "redemption", "code")),
    ),
    Step(
        "storefront/CancelRedemption.graphql",
        "secret",
        lambda w, c: {"code": c["second code"]},
        refused="publishable",
    ),
    Step("storefront/CancelRedemption.graphql", "secret", lambda w, c: {"code": "NOSUCHCODE"}),
    Step(
        "storefront/IssueMemberToken.graphql",
        "secret",
        lambda w, c: {"input": {"memberId": c["erin"], "expiresInMinutes": 30}},
        keep=("erin token", ("issueMemberToken", "token")),
        refused="publishable",
    ),
    Step(
        "mobile/RedeemMyReward.graphql",
        "erin",
        lambda w, c: {"rewardId": w.reward, "idempotencyKey": "app-1"},
        refused="publishable",
    ),
    Step(  # the app's retry
        "mobile/RedeemMyReward.graphql",
        "erin",
        lambda w, c: {"rewardId": w.reward, "idempotencyKey": "app-1"},
    ),
    Step(  # with a device id, a refresh token too
        "storefront/IssueMemberToken.graphql",
        "secret",
        lambda w, c: {"input": {"memberId": c["erin"], "deviceId": "erin-phone"}},
        keep=("erin refresh", ("issueMemberToken", "refreshToken")),
    ),
    Step(  # the app renews its token, with no credential
        "mobile/RefreshMemberToken.graphql",
        "anonymous",
        lambda w, c: {"input": {"refreshToken": c["erin refresh"], "deviceId": "erin-phone"}},
        keep=("erin refresh 2", ("refreshMemberToken", "refreshToken")),
    ),
    Step(  # the used token again: refused, and the device's tokens revoked
        "mobile/RefreshMemberToken.graphql",
        "anonymous",
        lambda w, c: {"input": {"refreshToken": c["erin refresh"], "deviceId": "erin-phone"}},
    ),
    Step(
        "storefront/IssueMemberToken.graphql",
        "secret",
        lambda w, c: {"input": {"memberId": c["erin"], "deviceId": "erin-tablet"}},
    ),
    Step(
        "storefront/RevokeMemberRefreshTokens.graphql",
        "secret",
        lambda w, c: {"input": {"externalId": "erin"}},
        refused="member",
    ),
    Step(
        "storefront/EraseMember.graphql",
        "secret",
        lambda w, c: {"input": {"id": w.carol}},
        refused="member",
    ),
    Step("storefront/EraseMember.graphql", "secret", lambda w, c: {"input": {"id": "bad id"}}),
    # The console's hand adjustment and erasure, by an operator
    Step(
        "agency/AdjustMemberPoints.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "memberId": c["erin"],
                "points": 25,
                "reason": "goodwill",
                "idempotencyKey": "console-adj-1",
            }
        },
        refused="publishable",
    ),
    Step(  # more than erin has: refused, and nothing written
        "agency/AdjustMemberPoints.graphql",
        "operator",
        lambda w, c: {
            "input": {"memberId": c["erin"], "points": -1_000_000, "idempotencyKey": "console-2"}
        },
    ),
    Step(
        "agency/EraseMember.graphql",
        "operator",
        lambda w, c: {"input": {"id": w.dave}},
        refused="member",
    ),
    Step("agency/EraseMember.graphql", "operator", lambda w, c: {"input": {"id": "bad id"}}),
    # The agency configures the program, the catalog, the keys and a second shop
    Step(
        "agency/ConfigureTiers.graphql",
        "operator",
        lambda w, c: {
            "input": {"metric": "AMOUNT_SPENT", "window": "ROLLING_MONTHS", "rollingMonths": 12}
        },
        refused="secret",
    ),
    Step(
        "agency/ConfigureTiers.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "benefits": [
                    {"tierId": w.gold, "benefits": {"discountPercent": "10", "freeShipping": True}},
                    {"tierId": w.silver, "benefits": {"discountPercent": "0"}},
                ]
            }
        },
    ),
    Step(
        "agency/ConfigureTiers.graphql",
        "operator",
        lambda w, c: {
            "input": {"benefits": [{"tierId": w.gold, "benefits": {"discountPercent": "7.5"}}]}
        },
    ),
    Step(
        "agency/CreateTier.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "name": "Platinum",
                "threshold": 20000,
                "multiplier": "2",
                "perks": ["lounge"],
                "benefits": {"discountPercent": "15", "freeShipping": True},
            }
        },
        keep=("platinum", ("createTier", "tier", "id")),
        refused="member",
    ),
    Step(
        "agency/CreateTier.graphql",
        "operator",
        lambda w, c: {"input": {"name": "", "threshold": -1}},
    ),
    Step(
        "agency/UpdateTier.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["platinum"], "name": "Platinum+", "archived": True}},
        refused="publishable",
    ),
    Step(
        "agency/CreateReward.graphql",
        "operator",
        lambda w, c: {
            "input": {"name": "Gift", "kind": "CUSTOM", "pointsCost": 50, "codeSource": "POOL"}
        },
        keep=("gift", ("createReward", "reward", "id")),
        refused="publishable",
    ),
    Step(
        "agency/ImportRewardCodes.graphql",
        "operator",
        lambda w, c: {"rewardId": c["gift"], "codes": ["GIFT-1", "GIFT-2", "GIFT-1"]},
        refused="member",
    ),
    Step(
        "agency/ConfigureReferrals.graphql",
        "operator",
        lambda w, c: {"input": {"trigger": "FIRST_ORDER", "minOrderValue": 1000, "clearCap": True}},
        refused="publishable",
    ),
    # A welcome offer: the signup action's points and the five-off code at enrolment; a new
    # shopper enrols with it, then the offer is cleared
    Step(
        "agency/ConfigureWelcomeOffer.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "actions": [{"key": "signup", "points": 25}],
                "welcomeOffer": {"awardSignup": True, "rewardId": w.reward},
            }
        },
        refused="secret",
    ),
    Step(
        "agency/ConfigureWelcomeOffer.graphql",
        "operator",
        lambda w, c: {"input": {"actions": [], "welcomeOffer": {"awardSignup": True}}},
    ),
    Step(
        "storefront/EnrollMember.graphql", "secret", lambda w, c: {"input": {"externalId": "fay"}}
    ),
    Step(
        "agency/ConfigureBirthdayGift.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "birthdayGift": {
                    "rewardId": w.reward,
                    "byTier": [{"tier": "Gold", "rewardId": w.reward}],
                }
            }
        },
        refused="secret",
    ),
    Step(
        "agency/ConfigureBirthdayGift.graphql",
        "operator",
        lambda w, c: {"input": {"birthdayGift": {"rewardId": w.silver}}},  # another type's id
    ),
    Step(
        "agency/ConfigureBirthdayGift.graphql",
        "operator",
        lambda w, c: {"input": {"clearBirthdayGift": True}},
    ),
    Step(
        "agency/ConfigureWelcomeOffer.graphql",
        "operator",
        lambda w, c: {"input": {"clearWelcomeOffer": True}},
    ),
    # Paid memberships: Gold for a year by its SKU, refused for a tier the program lacks
    Step(
        "agency/ConfigurePaidMemberships.graphql",
        "operator",
        lambda w, c: {
            "input": {"paidMemberships": [{"sku": "GOLD-YEAR", "tier": "Gold", "months": 12}]}
        },
        refused="secret",
    ),
    Step(
        "agency/ConfigurePaidMemberships.graphql",
        "operator",
        lambda w, c: {
            "input": {"paidMemberships": [{"sku": "X", "tier": "Platinum", "months": 12}]}
        },
    ),
    Step(
        "agency/ConfigurePaidMemberships.graphql",
        "operator",
        lambda w, c: {"input": {"paidMemberships": []}},
    ),
    # The stamp card becomes a card of two stamps a pair of shoes that issues the gift: erin's
    # next order completes it, and takes a code from the gift's pool
    Step(
        "agency/ConfigureStampCard.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "cardSize": 2,
                "rules": [{"id": "shoes", "stamps": 1, "categories": ["shoes"]}],
                "rewardId": c["gift"],
                "clearExpiry": True,
                "resets": False,
            }
        },
        refused="secret",
    ),
    Step(
        "agency/ConfigureStampCard.graphql",
        "operator",
        lambda w, c: {"input": {"cardSize": 0, "rules": [{"id": "Bad rule", "stamps": 500}]}},
    ),
    Step(
        "agency/ConfigureStampCard.graphql",
        "operator",
        lambda w, c: {"input": {"rewardId": w.silver}},  # an id of another type
    ),
    Step(
        "storefront/RecordOrder.graphql",
        "secret",
        lambda w, c: _order("o-13", {"memberId": c["erin"]}),
    ),
    Step("own/Engaged", "secret", lambda w, c: {"m": c["erin"]}, text=ENGAGED),
    # Staff add a survey paying once a month; the store and the app answer it for erin, and
    # the store answers the seeded survey again for alice, who was paid for it already
    Step(
        "agency/CreateSurvey.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "kind": "CSAT",
                "question": "How was the delivery?",
                "followUps": [{"group": "DISSATISFIED", "question": "What should we fix?"}],
                "thankYou": "Thanks for telling us.",
                "points": 20,
                "pointsPeriod": "MONTH",
            }
        },
        keep=("delivery survey", ("createSurvey", "survey", "id")),
        refused="member",
    ),
    Step(
        "agency/CreateSurvey.graphql",
        "operator",
        lambda w, c: {"input": {"kind": "NPS", "question": " ", "points": -1}},
    ),
    Step(
        "storefront/SubmitSurveyResponse.graphql",
        "secret",
        lambda w, c: {
            "surveyId": c["delivery survey"],
            "externalId": "erin",
            "score": 5,
            "idempotencyKey": "o-9",
        },
        refused="publishable",
    ),
    Step(  # the post-order email's retry: the first answer, replayed
        "storefront/SubmitSurveyResponse.graphql",
        "secret",
        lambda w, c: {
            "surveyId": c["delivery survey"],
            "externalId": "erin",
            "score": 5,
            "idempotencyKey": "o-9",
        },
    ),
    Step(  # the same key with another score
        "storefront/SubmitSurveyResponse.graphql",
        "secret",
        lambda w, c: {
            "surveyId": c["delivery survey"],
            "externalId": "erin",
            "score": 1,
            "idempotencyKey": "o-9",
        },
    ),
    Step(  # recorded, without points: alice was paid for this survey once
        "storefront/SubmitSurveyResponse.graphql",
        "secret",
        lambda w, c: {
            "surveyId": w.survey,
            "externalId": "alice",
            "score": 10,
            "answer": "Still great",
            "idempotencyKey": "o-14",
        },
    ),
    Step(
        "storefront/SubmitSurveyResponse.graphql",
        "secret",
        lambda w, c: {
            "surveyId": w.survey,
            "externalId": "nobody",
            "score": 8,
            "idempotencyKey": "o-15",
        },
    ),
    Step(  # earned this month already: recorded without points
        "mobile/SubmitSurveyResponse.graphql",
        "erin",
        lambda w, c: {
            "surveyId": c["delivery survey"],
            "score": 1,
            "answer": "Late again",
            "idempotencyKey": "tap-1",
        },
        refused="operator",
    ),
    Step(
        "mobile/SubmitSurveyResponse.graphql",
        "erin",
        lambda w, c: {"surveyId": w.survey, "score": 12, "idempotencyKey": "tap-2"},
    ),
    Step(
        "mobile/SubmitSurveyResponse.graphql",
        "erin",
        lambda w, c: {"surveyId": w.alice, "score": 9, "idempotencyKey": "tap-3"},
    ),
    # The agency defines a segment, changes it and a built-in, and runs win-back campaigns
    Step(
        "agency/CreateSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "key": "savers",
                "name": "Savers",
                "rule": {
                    "any": [
                        {"condition": {"field": "POINTS_BALANCE", "op": "GTE", "value": 400}},
                        {"condition": {"field": "TIER", "op": "EQ", "text": "Gold"}},
                    ]
                },
            }
        },
        refused="secret",
    ),
    Step(
        "agency/CreateSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "key": "vip",
                "name": "Mine",
                "rule": {"condition": {"field": "ORDERS", "op": "GT"}},
            }
        },
    ),
    Step(
        "agency/CreateSegment.graphql",
        "operator",
        lambda w, c: {"input": {"key": "Not A Key", "name": "", "rule": {}}},
    ),
    Step(
        "agency/UpdateSegment.graphql",
        "operator",
        lambda w, c: {"input": {"key": "savers", "name": "Big savers"}},
        refused="publishable",
    ),
    Step(  # a built-in's threshold
        "agency/UpdateSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "key": "vip",
                "rule": {"condition": {"field": "LIFETIME_SPEND", "op": "GTE", "value": 5000}},
            }
        },
    ),
    Step(
        "agency/UpdateSegment.graphql",
        "operator",
        lambda w, c: {"input": {"key": "no-such-segment", "name": "Nothing"}},
    ),
    Step(
        "agency/GrantToSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "segment": SEGMENT,
                "campaignKey": "story-1",
                "points": 15,
                "reason": "Thanks for shopping",
            }
        },
        refused="member",
    ),
    Step(  # sent again: the campaign as it is, nothing granted twice
        "agency/GrantToSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "segment": SEGMENT,
                "campaignKey": "story-1",
                "points": 15,
                "reason": "Thanks for shopping",
            },
            "winBackDays": 1,
        },
    ),
    Step(  # the same key with other points
        "agency/GrantToSegment.graphql",
        "operator",
        lambda w, c: {"input": {"segment": SEGMENT, "campaignKey": "story-1", "points": 30}},
    ),
    Step(  # a reward to every new member, from the store backend
        "agency/GrantToSegment.graphql",
        "secret",
        lambda w, c: {
            "input": {"segment": "new", "campaignKey": "welcome-gift", "rewardId": w.reward},
            "winBackDays": 7,
        },
    ),
    Step(
        "agency/GrantToSegment.graphql",
        "operator",
        lambda w, c: {"input": {"segment": "no-such-segment", "campaignKey": "x", "points": 5}},
    ),
    Step(
        "agency/GrantToSegment.graphql",
        "operator",
        lambda w, c: {
            "input": {"segment": "new", "campaignKey": "y", "points": 5, "rewardId": w.reward}
        },
    ),
    Step("own/Engaged", "secret", lambda w, c: {"m": c["erin"]}, text=ENGAGED),
    # The agency sets what ROI is taken at, and reads what the guests' orders did
    Step(
        "agency/ConfigureAnalytics.graphql",
        "operator",
        lambda w, c: {"input": {"grossMargin": "0.35", "monthlyProgramCost": 50_000}},
        refused="member",
    ),
    Step(
        "agency/ConfigureAnalytics.graphql",
        "operator",
        lambda w, c: {"input": {"grossMargin": "1.5"}},
    ),
    Step("own/Guests", "operator", lambda w, c: TODAY, text=GUESTS),
    Step(
        "agency/ConfigureAllowedOrigins.graphql",
        "operator",
        lambda w, c: {"input": {"origins": ["https://shop.example", "https://m.shop.example"]}},
        refused="secret",
    ),
    Step(
        "agency/ConfigureAllowedOrigins.graphql",
        "operator",
        lambda w, c: {"input": {"origins": ["http://shop.example/path"]}},
    ),
    Step(
        "agency/SetTenantRateLimit.graphql",
        "operator",
        lambda w, c: {"input": {"perMinute": 90_000}},
        refused="secret",
    ),
    Step(
        "agency/SetTenantRateLimit.graphql", "operator", lambda w, c: {"input": {"perMinute": None}}
    ),
    # The store backend registers a webhook endpoint, changes it, rotates its secret, sends
    # a test message and redelivers it, then deletes it
    Step(
        "agency/CreateWebhookEndpoint.graphql",
        "secret",
        lambda w, c: {
            "input": {
                "url": "https://hooks.example.com/loyalty",
                "eventTypes": ["points.changed", "member.enrolled"],
                "description": "Store backend",
            }
        },
        keep=("hook", ("createWebhookEndpoint", "endpoint", "id")),
        refused="member",
    ),
    Step(
        "agency/CreateWebhookEndpoint.graphql",
        "operator",
        lambda w, c: {"input": {"url": "http://10.0.0.1/in", "eventTypes": ["points.moved"]}},
    ),
    Step(
        "agency/UpdateWebhookEndpoint.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["hook"], "eventTypes": ["tier.changed"], "enabled": False}},
        refused="publishable",
    ),
    Step(
        "agency/SendTestWebhook.graphql",
        "secret",
        lambda w, c: {"input": {"id": c["hook"]}},  # disabled: refused
    ),
    Step(
        "agency/UpdateWebhookEndpoint.graphql",
        "secret",
        lambda w, c: {"input": {"id": c["hook"], "enabled": True}},
    ),
    Step(
        "agency/RotateWebhookSecret.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["hook"], "rolloverHours": 12}},
        refused="member",
    ),
    Step(
        "agency/RotateWebhookSecret.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["hook"], "rolloverHours": 500}},
    ),
    Step(
        "agency/SendTestWebhook.graphql",
        "secret",
        lambda w, c: {"input": {"id": c["hook"]}},
        keep=("test message", ("sendTestWebhook", "delivery", "id")),
    ),
    Step(
        "agency/RedeliverWebhook.graphql",
        "operator",
        lambda w, c: {"input": {"deliveryId": c["test message"]}},
        refused="member",
    ),
    Step(
        "agency/DeleteWebhookEndpoint.graphql",
        "secret",
        lambda w, c: {"input": {"id": c["hook"]}},
        refused="publishable",
    ),
    Step(
        "agency/RedeliverWebhook.graphql",
        "operator",
        lambda w, c: {"input": {"deliveryId": c["test message"]}},  # its endpoint is gone
    ),
    Step(
        "agency/CreateApiKey.graphql",
        "operator",
        lambda w, c: {"input": {"kind": "PUBLISHABLE", "name": "web"}},
        keep=("web key", ("createApiKey", "apiKey", "id")),
        refused="secret",
    ),
    Step(
        "agency/RevokeApiKey.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["web key"]}},
        refused="member",
    ),
    # The agency adds an action to the program; the store pays for it, refunds an order,
    # and the agency changes and retires a reward, a survey and a segment
    Step(
        "agency/ConfigureProgram.graphql",
        "operator",
        lambda w, c: {"input": {"actions": [{"key": "review", "points": 25, "once": True}]}},
        refused="publishable",
    ),
    Step(
        "agency/ConfigureProgram.graphql",
        "operator",
        lambda w, c: {"input": {"pointsPerUnit": "-1", "currency": "usd"}},
    ),
    Step(
        "storefront/RecordAction.graphql",
        "secret",
        lambda w, c: {"input": {"memberId": c["erin"], "action": "review", "idempotencyKey": "r1"}},
        refused="member",
    ),
    Step(  # once only, with another key
        "storefront/RecordAction.graphql",
        "secret",
        lambda w, c: {"input": {"externalId": "erin", "action": "review", "idempotencyKey": "r2"}},
    ),
    Step(
        "storefront/RecordAction.graphql",
        "secret",
        lambda w, c: {"input": {"memberId": c["erin"], "action": "no-such-action"}},
    ),
    Step(
        "storefront/RefundOrder.graphql",
        "secret",
        lambda w, c: {"input": {"orderId": "o-9", "refundId": "refund-1", "amount": 1999}},
        refused="publishable",
    ),
    Step(  # the store's retry
        "storefront/RefundOrder.graphql",
        "secret",
        lambda w, c: {"input": {"orderId": "o-9", "refundId": "refund-1", "amount": 1999}},
    ),
    Step(
        "storefront/RefundOrder.graphql",
        "secret",
        lambda w, c: {"input": {"orderId": "o-9", "refundId": "refund-2", "amount": 999_999}},
    ),
    Step(
        "agency/UpdateReward.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["gift"], "name": "Gift card", "stock": 5}},
        refused="member",
    ),
    Step(
        "agency/UpdateReward.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["gift"], "clear": ["stock", "nope"]}},
    ),
    Step(
        "agency/ArchiveReward.graphql",
        "operator",
        lambda w, c: {"id": c["gift"]},
        refused="publishable",
    ),
    Step(
        "agency/UpdateSurvey.graphql",
        "operator",
        lambda w, c: {"input": {"id": c["delivery survey"], "active": False, "points": 5}},
        refused="member",
    ),
    Step(
        "agency/ArchiveSurvey.graphql",
        "operator",
        lambda w, c: {"id": c["delivery survey"]},
        refused="publishable",
    ),
    Step(
        "agency/DeleteSegment.graphql", "operator", lambda w, c: {"key": "savers"}, refused="member"
    ),
    Step("agency/DeleteSegment.graphql", "operator", lambda w, c: {"key": "vip"}),  # built in
    # A client team registers its documents, and revokes them
    Step(
        "agency/RegisterTrustedDocuments.graphql",
        "operator",
        lambda w, c: {"client": "web", "manifest": json.dumps({sha256(TEAM): TEAM})},
        refused="secret",
    ),
    Step(
        "agency/RegisterTrustedDocuments.graphql",
        "operator",
        lambda w, c: {"client": "web", "manifest": json.dumps({sha256(TEAM + " "): TEAM})},
    ),
    Step(
        "agency/RevokeTrustedDocuments.graphql",
        "operator",
        lambda w, c: {"client": "web", "ids": [sha256(TEAM)]},
        refused="secret",
    ),
    Step(
        "agency/CreateTenant.graphql",
        "agency",
        lambda w, c: {"input": {"slug": f"{w.kit.slug}x", "name": "Second shop"}},
        refused="secret",
    ),
    # A data access request (of erased carol: what an erased member leaves), then the
    # tenant's lifecycle: suspended and back, a deletion refused while it is active, and
    # archived last (the steps after it name no tenant)
    Step(
        "agency/ExportMember.graphql",
        "operator",
        lambda w, c: {"input": {"member": w.carol}},
        refused="publishable",
    ),
    Step(  # a file with a row to import and a row to report: the job, queued
        "agency/StartMemberImport.graphql",
        "operator",
        lambda w, c: {
            "input": {
                "content": "external_id,email,points_balance\n"
                "imported-1,imported-1@example.com,250\nimported-2,not-an-email,5\n"
            }
        },
        refused="secret",
    ),
    # The program saved as a template, applied and copied (dry runs onto itself: nothing to
    # change), then the template deleted
    Step(
        "agency/SaveProgramTemplate.graphql",
        "agency",
        lambda w, c: {"input": {"tenant": w.kit.slug, "name": "Base"}},
        keep=("template", ("saveProgramTemplate", "template", "id")),
        refused="secret",
    ),
    Step(
        "agency/ApplyProgramTemplate.graphql",
        "agency",
        lambda w, c: {"input": {"template": c["template"], "tenant": w.kit.slug, "dryRun": True}},
        refused="secret",
    ),
    Step(
        "agency/CopyProgram.graphql",
        "agency",
        lambda w, c: {"input": {"fromTenant": w.kit.slug, "toTenant": w.kit.slug}},
        refused="secret",
    ),
    Step(
        "agency/DeleteProgramTemplate.graphql",
        "agency",
        lambda w, c: {"input": {"id": c["template"]}},
        refused="secret",
    ),
    Step(
        "agency/ExportTenant.graphql",
        "agency",
        lambda w, c: {"input": {"tenant": w.kit.slug}},
        keep=("export link", ("exportTenant", "url")),
        refused="secret",
    ),
    Step(
        "agency/SuspendTenant.graphql",
        "agency",
        lambda w, c: {"input": {"tenant": w.kit.slug, "reason": "unpaid"}},
        refused="secret",
    ),
    Step(
        "agency/ReactivateTenant.graphql", "agency", lambda w, c: {"input": {"tenant": w.kit.slug}}
    ),
    Step("agency/DeleteTenant.graphql", "agency", lambda w, c: {"input": {"tenant": w.kit.slug}}),
    Step("agency/ArchiveTenant.graphql", "agency", lambda w, c: {"input": {"tenant": w.kit.slug}}),
    Step(
        "agency/Login.graphql",
        "anonymous",
        lambda w, c: {"input": {"email": c["login email"], "password": PASSWORD}},
    ),
    Step(
        "agency/Login.graphql",
        "anonymous",
        lambda w, c: {"input": {"email": c["login email"], "password": "wrong"}},
    ),
    # The agency's team: an invitation accepted (after a weak password), used twice; the new
    # operator's role and access changed; its own sessions and password; then its removal.
    # The tenant is archived by now, so its member token is refused before any GraphQL runs:
    # the refusals here are an anonymous caller's, which the engine answers.
    Step(
        "agency/InviteOperator.graphql",
        "agency",
        lambda w, c: {
            "input": {
                "email": f"invited-{w.kit.slug}@ops.example",
                "role": "ADMIN",
                "tenants": [to_global_id("Tenant", UUID(w.kit.id))],
            }
        },
        keep=("invitation", ("inviteOperator", "token")),
        refused="anonymous",
    ),
    Step(
        "agency/InviteOperator.graphql",
        "agency",
        lambda w, c: {"input": {"email": f"withdrawn-{w.kit.slug}@ops.example", "role": "VIEWER"}},
        keep=("withdrawn", ("inviteOperator", "invitation", "id")),
    ),
    Step(
        "agency/RevokeInvitation.graphql",
        "agency",
        lambda w, c: {"input": {"id": c["withdrawn"]}},
        refused="anonymous",
    ),
    Step(
        "agency/AcceptInvitation.graphql",
        "anonymous",
        lambda w, c: {"input": {"token": c["invitation"], "password": "password1234"}},
    ),
    Step(
        "agency/AcceptInvitation.graphql",
        "anonymous",
        lambda w, c: {"input": {"token": c["invitation"], "password": INVITED, "name": "Ivy"}},
        keep=("invited", ("acceptInvitation", "member", "id")),
        keep_too=("invited session", ("acceptInvitation", "token")),
    ),
    Step(
        "agency/AcceptInvitation.graphql",
        "anonymous",
        lambda w, c: {"input": {"token": c["invitation"], "password": INVITED}},
    ),
    Step(
        "agency/ChangeOperatorRole.graphql",
        "agency",
        lambda w, c: {"input": {"operatorId": c["invited"], "role": "VIEWER"}},
        refused="anonymous",
    ),
    Step(
        "agency/RevokeTenantAccess.graphql",
        "agency",
        lambda w, c: {
            "input": {
                "operatorId": c["invited"],
                "tenantId": to_global_id("Tenant", UUID(w.kit.id)),
            }
        },
    ),
    Step(
        "agency/GrantTenantAccess.graphql",
        "agency",
        lambda w, c: {
            "input": {
                "operatorId": c["invited"],
                "tenantId": to_global_id("Tenant", UUID(w.kit.id)),
            }
        },
        refused="anonymous",
    ),
    Step(
        "agency/ChangePassword.graphql",
        "invited",
        lambda w, c: {"input": {"current": INVITED, "new": "qwerty123456"}},
    ),
    Step(
        "agency/ChangePassword.graphql",
        "invited",
        lambda w, c: {"input": {"current": INVITED, "new": INVITED + " again"}},
    ),
    Step(
        "agency/RevokeOperatorSession.graphql",
        "invited",
        lambda w, c: {"input": {"id": to_global_id("OperatorSession", UUID(int=0))}},
    ),
    Step("agency/Logout.graphql", "invited", lambda w, c: {"input": {}}),
    Step(
        "agency/RemoveOperator.graphql",
        "agency",
        lambda w, c: {"input": {"operatorId": c["invited"]}},
        refused="anonymous",
    ),
]


def test_every_mutation_document_is_in_the_story():
    # Given the mutation documents in graphql/operations/
    documents = documents_of("mutation")

    # When the story is read
    played = {step.path for step in STORY if step.text is None}

    # Then it plays every one of them
    assert played == documents


@dataclass
class Twin:
    side: Side
    world: World
    carried: Carried

    def credential(self, caller: str) -> tuple[str | None, str | None]:
        if caller == "erin":
            return self.carried["erin token"], None
        if caller == "invited":  # the session acceptInvitation opened
            return self.carried["invited session"], None
        return self.world.credential(caller)

    def known(self) -> dict[str, str]:
        return {**self.world.known(), **{v: f"<{k}>" for k, v in self.carried.items()}}

    async def play(self, step: Step, caller: str) -> Answer:
        """The step's answer, normalised; what it made is carried if the step says so."""
        query = step.document()
        variables = step.variables(self.world, self.carried)
        answer = await self.side.send(query, variables, *self.credential(caller))
        for keep in (step.keep, step.keep_too):
            if keep is None or caller != step.caller:
                continue
            name, path = keep
            value: Any = answer.body.get("data")
            for key in path:
                value = value[key] if isinstance(value, dict) else None
            if isinstance(value, str):
                self.carried[name] = value
        return Answer(answer.status, normalise(answer.body, self.known()))


async def test_the_story_of_mutations_answers_the_same_with_and_without_the_engine(
    fast: AppSide,
    stock: AppSide,
    reference: Reference,
    make_tenant: MakeTenant,
    services: Services,
    engine_count: EngineCount,
):
    # Given three twins, one for each side, seeded the same way (through the production app)
    async def twin(side: Side) -> Twin:
        world = await seed_world(fast.client, await make_tenant())
        login_email = await operator_with_password(services, world.kit.id)
        return Twin(side, world, {"login email": login_email})

    twins = await asyncio.gather(twin(fast), twin(stock), twin(reference))
    engine_count.direct = 0  # the seeding went through the production app too

    for number, step in enumerate(STORY):
        request = {"step": number, "document": step.path, "caller": step.caller}
        if step.refused is not None:
            # When a caller who may not do the step tries it on every twin
            refusals = [await twin.play(step, step.refused) for twin in twins]

            # Then each twin refuses it the same way
            for twin, refusal in zip(twins[1:], refusals[1:], strict=True):
                assert_same(refusals[0], refusal, (fast.name, twin.side.name), request)

        # When the step is played on every twin
        answers = [await twin.play(step, step.caller) for twin in twins]

        # Then each answers as the production app's twin, and carries what the step made
        for twin, answer in zip(twins[1:], answers[1:], strict=True):
            assert_same(answers[0], answer, (fast.name, twin.side.name), request)

    # And the production app answered every step through the engine
    assert engine_count.direct == sum(1 + (step.refused is not None) for step in STORY)
