"""Paid memberships as a floor under the tier the metric earns
(domain.tiers.decide_with_memberships), and tier discounts at checkout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from domain.tier_checkout import tier_discount
from domain.tiers import (
    MemberTier,
    PaidMembership,
    Tier,
    TierBenefits,
    TierChangeReason,
    TierMove,
    TierSettings,
    decide_with_memberships,
)

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
MEMBER = uuid4()


def _tier(name: str, threshold: int, percent: str | None = None) -> Tier:
    benefits = TierBenefits(Decimal(percent) if percent else None, percent is not None)
    return Tier(uuid4(), name, threshold, Decimal(1), (), False, NOW, NOW, benefits)


SILVER, GOLD = _tier("Silver", 100), _tier("Gold", 500, "10")
TIERS = [SILVER, GOLD]


def _held(tier: Tier | None, *, paid: bool = False, until: datetime | None = None) -> MemberTier:
    return MemberTier(MEMBER, tier.id if tier else None, NOW, until, 0, paid=paid)


def _bought(tier: Tier, days: int, *, revoked: bool = False) -> PaidMembership:
    return PaidMembership(
        uuid4(), MEMBER, tier.id, "o-1", "SKU", NOW - timedelta(days=1),
        NOW + timedelta(days=days), NOW if revoked else None,
    )  # fmt: skip


def test_a_membership_lifts_a_member_above_what_they_earn_until_it_ends():
    decision = decide_with_memberships(
        TIERS, TierSettings(), _held(SILVER), 150, NOW, [_bought(GOLD, 30)]
    )
    assert (decision.tier, decision.paid, decision.move) == (GOLD, True, TierMove.UP)
    assert decision.retain_until == NOW + timedelta(days=30)
    assert decision.reason is TierChangeReason.PURCHASED


def test_an_earned_tier_as_high_wins_over_the_membership():
    decision = decide_with_memberships(
        TIERS, TierSettings(), _held(GOLD, paid=True), 600, NOW, [_bought(GOLD, 30)]
    )
    assert (decision.tier, decision.paid, decision.move) == (GOLD, False, TierMove.SAME)


def test_an_ended_or_revoked_membership_leaves_what_the_metric_earns():
    ended = decide_with_memberships(
        TIERS, TierSettings(), _held(GOLD, paid=True, until=NOW), 150, NOW, [_bought(GOLD, 0)]
    )
    revoked = decide_with_memberships(
        TIERS, TierSettings(), _held(GOLD, paid=True), 10, NOW, [_bought(GOLD, 30, revoked=True)]
    )
    assert (ended.tier, ended.paid, ended.reason) == (
        SILVER,
        False,
        TierChangeReason.MEMBERSHIP_ENDED,
    )
    assert (revoked.tier, revoked.move) == (None, TierMove.DOWN)


def test_the_tier_discount_is_rounded_down_and_never_more_than_the_cart():
    assert tier_discount(GOLD, 999).amount_minor == 99
    assert tier_discount(_tier("All", 0, "100"), 250).amount_minor == 250
    assert tier_discount(SILVER, 5000).amount_minor == 0
