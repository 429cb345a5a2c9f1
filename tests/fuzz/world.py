"""A tenant for the fuzzers to aim at: a member with points, a reward, a tier, a code issued,
and one credential of each kind, so generated requests reach past "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fuzz.scalars import Seeds
from tests.support.gql import TenantKit
from tests.support.live_api import LiveApi, bearer

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id } errors { code field message } }
}
"""
ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { entry { id } errors { code field message } }
}
"""
CREATE_REWARD = """
mutation CreateReward($input: CreateRewardInput!) {
  createReward(input: $input) { reward { id } errors { code field message } }
}
"""
CREATE_TIER = """
mutation CreateTier($input: CreateTierInput!) {
  createTier(input: $input) { tier { id } errors { code field message } }
}
"""
ISSUE_TOKEN = """
mutation IssueToken($input: IssueMemberTokenInput!) {
  issueMemberToken(input: $input) { token errors { code field message } }
}
"""
REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) { redemption { id code } errors { code field message } }
}
"""
RECORD_ORDER = """
mutation RecordOrder($input: RecordOrderInput!) {
  recordOrder(input: $input) { order { orderId } errors { code field message } }
}
"""

CREDENTIAL_KINDS = ("secret", "publishable", "member", "operator")
MEMBER_EXTERNAL_ID = "fuzz-member"
ORDER_ID = "fuzz-order-1"


@dataclass(frozen=True)
class World:
    """What the fuzzers know of their tenant: its credentials and the ids worth aiming at."""

    kit: TenantKit
    credentials: dict[str, dict[str, str]]
    member_id: str
    reward_id: str
    tier_id: str
    redemption_id: str
    code: str
    # Rows a fuzzed erasure or archival may take away: the ones above must outlive them.
    spare_member_id: str
    spare_reward_id: str

    @property
    def known_ids(self) -> tuple[str, ...]:
        """Ids plain values may name: not the member or reward every test relies on, since a
        hostile value may be an erasure or archival of whatever it names."""
        return (self.spare_member_id, self.spare_reward_id, self.tier_id, self.redemption_id)

    @property
    def seeds(self) -> Seeds:
        """The world's ids and strings, and which field names take which of them."""
        return Seeds(
            ids=self.known_ids,
            strings=self.known_strings,
            by_name={
                "memberId": (self.member_id,),
                "rewardId": (self.reward_id,),
                "id": (self.spare_member_id, self.spare_reward_id, self.tier_id),
                "externalId": (MEMBER_EXTERNAL_ID,),
                "orderId": (ORDER_ID,),
                "code": (self.code,),
                "currency": ("USD",),
                "email": ("fuzz@example.com",),
                "slug": (self.kit.slug,),
                "kind": ("FIXED_AMOUNT",),
                "unitPrice": (2500,),
                "quantity": (1, 2),
                "points": (10, 100),
                "sku": ("SKU-1",),
                "name": ("Fuzz",),
                "placedAt": ("2026-03-01T12:00:00+00:00",),
            },
            examples=self.examples,
        )

    @property
    def examples(self) -> dict[str, dict[str, object]]:
        """A value of each input type the domain accepts, on this tenant's rows."""
        line = {"sku": "SKU-1", "quantity": 1, "unitPrice": 2500}
        return {
            "EnrollMemberInput": {"externalId": "fuzz-new", "email": "new@example.com"},
            "UpdateMemberInput": {"id": self.member_id, "name": "Ada"},
            "EraseMemberInput": {"id": self.spare_member_id},
            "AdjustPointsInput": {"memberId": self.member_id, "points": 10, "reason": "r"},
            "OrderLineInput": line,
            "RecordOrderInput": {
                "orderId": "fuzz-order-2",
                "memberId": self.member_id,
                "currency": "USD",
                "placedAt": "2026-03-01T12:00:00+00:00",
                "lines": [line],
            },
            "RefundOrderInput": {"orderId": ORDER_ID, "refundId": "fuzz-refund", "amount": 100},
            "RefundLineInput": {"sku": "SKU-1", "quantity": 1},
            "RecordActionInput": {"memberId": self.member_id, "action": "review"},
            "CreateRewardInput": {
                "name": "Ten off",
                "kind": "FIXED_AMOUNT",
                "value": 1000,
                "pointsCost": 200,
            },
            "UpdateRewardInput": {"id": self.reward_id, "name": "Five off"},
            "ArchiveRewardInput": {"id": self.spare_reward_id},
            "RedeemRewardInput": {"rewardId": self.reward_id, "memberId": self.member_id},
            "MarkRedemptionUsedInput": {"code": self.code, "orderId": ORDER_ID},
            "CancelRedemptionInput": {"code": self.code},
            "IssueMemberTokenInput": {"memberId": self.member_id},
            "CreateTierInput": {"name": "Silver", "threshold": "500", "multiplier": "1.5"},
            "UpdateTierInput": {"id": self.tier_id, "name": "Gold"},
            "ConfigureTiersInput": {"metric": "POINTS_EARNED", "window": "LIFETIME"},
            "PreviewTierChangeInput": {"create": {"name": "Bronze", "threshold": "100"}},
            "ConfigureProgramInput": {"pendingDays": 0},
            "LotExpiryInput": {"after": 12, "unit": "MONTHS"},
            "EarnRuleInput": {
                "id": "double",
                "name": "Double",
                "kind": "MULTIPLIER",
                "multiplier": "2",
            },
            "ActionRuleInput": {"key": "review", "points": 10},
            "ConfigureReferralsInput": {"active": True},
            "ReferralRewardInput": {"points": 100},
            "MemberFilterInput": {"status": "ACTIVE"},
            "RewardFilterInput": {"availableNow": True},
            "CreateApiKeyInput": {"kind": "PUBLISHABLE", "name": "fuzz"},
            "CreateTenantInput": {"slug": "fuzz-" + self.kit.slug, "name": "Fuzz"},
        }

    @property
    def known_strings(self) -> tuple[str, ...]:
        return (MEMBER_EXTERNAL_ID, ORDER_ID, self.code, self.kit.slug, "USD", "fuzz@example.com")


def _payload(api: LiveApi, query: str, given: dict[str, Any], headers: dict[str, str]) -> Any:
    response, _ = api.post({"query": query, "variables": {"input": given}}, headers)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    return payload


def build_world(api: LiveApi, kit: TenantKit) -> World:
    secret = bearer(kit.secret_key, kind="secret")
    operator = bearer(kit.operator_token, kit.slug, kind="operator")
    member_id = _payload(
        api, ENROLL, {"externalId": MEMBER_EXTERNAL_ID, "email": "fuzz@example.com"}, secret
    )["member"]["id"]
    _payload(api, ADJUST, {"memberId": member_id, "points": 5000, "reason": "seed"}, secret)
    reward_id = _payload(
        api,
        CREATE_REWARD,
        {"name": "Five off", "kind": "FIXED_AMOUNT", "value": 500, "pointsCost": 100},
        secret,
    )["reward"]["id"]
    tier_id = _payload(api, CREATE_TIER, {"name": "Gold", "threshold": "1000"}, operator)["tier"][
        "id"
    ]
    _payload(
        api,
        RECORD_ORDER,
        {
            "orderId": ORDER_ID,
            "memberId": member_id,
            "currency": "USD",
            "placedAt": "2026-03-01T12:00:00+00:00",
            "lines": [{"sku": "SKU-1", "quantity": 2, "unitPrice": 2500}],
        },
        secret,
    )
    redemption = _payload(api, REDEEM, {"rewardId": reward_id, "memberId": member_id}, secret)[
        "redemption"
    ]
    token = _payload(api, ISSUE_TOKEN, {"memberId": member_id}, secret)["token"]
    return World(
        kit=kit,
        credentials={
            "secret": secret,
            "publishable": bearer(kit.publishable_key, kind="publishable"),
            "member": bearer(token, kind="member"),
            "operator": operator,
        },
        member_id=member_id,
        reward_id=reward_id,
        tier_id=tier_id,
        redemption_id=redemption["id"],
        code=redemption["code"],
        spare_member_id=_payload(api, ENROLL, {"externalId": "fuzz-spare"}, secret)["member"]["id"],
        spare_reward_id=_payload(
            api, CREATE_REWARD, {"name": "Spare", "kind": "CUSTOM", "pointsCost": 1}, secret
        )["reward"]["id"],
    )
