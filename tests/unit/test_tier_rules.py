"""The tier rules, without a database: qualification, windows, keeping and losing a tier."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, ErrorCode
from domain.tiers import (
    MemberTier,
    Tier,
    TierChangeReason,
    TierDowngrade,
    TierMetric,
    TierMove,
    TierSettings,
    TierWindow,
    add_months,
    decide,
    kept_until,
    progress,
    retention,
    validate_settings,
    validate_tier,
    window_start,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def tier(name: str, threshold: int, multiplier: str = "1", archived: bool = False) -> Tier:
    return Tier(uuid4(), name, threshold, Decimal(multiplier), (), archived, NOW, NOW)


SILVER, GOLD = tier("Silver", 500), tier("Gold", 1000)
TIERS = [SILVER, GOLD]
ROLLING = TierSettings(window=TierWindow.ROLLING_MONTHS, rolling_months=12, grace_days=30)
YEARLY = TierSettings(window=TierWindow.CALENDAR_YEAR)


def holding(t: Tier | None, retain_until: datetime | None = None) -> MemberTier:
    return MemberTier(uuid4(), t.id if t else None, NOW, retain_until, 0)


def test_upgrade_happens_exactly_at_the_threshold():
    below = decide(TIERS, ROLLING, holding(None), 999, NOW)
    at = decide(TIERS, ROLLING, holding(None), 1000, NOW)

    assert below.tier == SILVER
    assert at.tier == GOLD
    assert at.move is TierMove.UP
    assert at.reason is TierChangeReason.QUALIFIED


def test_no_tier_below_the_lowest_threshold():
    decision = decide(TIERS, ROLLING, None, 499, NOW)

    assert decision.tier is None
    assert decision.move is TierMove.SAME


def test_a_tier_met_on_a_rolling_window_is_kept_for_the_window_then_the_grace():
    until = kept_until(ROLLING, NOW)
    assert until == add_months(NOW, 12) + timedelta(days=30)
    gold = holding(GOLD, until)

    during_grace = decide(TIERS, ROLLING, gold, 0, until - timedelta(seconds=1))
    after_grace = decide(TIERS, ROLLING, gold, 0, until)

    assert during_grace.tier == GOLD
    assert during_grace.move is TierMove.SAME
    assert after_grace.tier is None
    assert after_grace.move is TierMove.DOWN
    assert after_grace.reason is TierChangeReason.PERIOD_ENDED


def test_at_the_end_a_member_drops_only_to_the_tier_they_still_meet():
    gold = holding(GOLD, NOW)

    decision = decide(TIERS, ROLLING, gold, 600, NOW)

    assert decision.tier == SILVER
    assert decision.retain_until == kept_until(ROLLING, NOW)


def test_meeting_the_tier_again_renews_it():
    gold = holding(GOLD, NOW + timedelta(days=1))

    decision = decide(TIERS, ROLLING, gold, 1000, NOW)

    assert decision.move is TierMove.SAME
    assert decision.retain_until == kept_until(ROLLING, NOW)


def test_a_calendar_year_tier_is_kept_through_the_following_year():
    assert kept_until(YEARLY, NOW) == datetime(2028, 1, 1, tzinfo=UTC)
    assert window_start(YEARLY, NOW) == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "settings",
    [
        TierSettings(window=TierWindow.LIFETIME),
        TierSettings(window=TierWindow.CALENDAR_YEAR, downgrade=TierDowngrade.NEVER),
    ],
    ids=["lifetime", "never"],
)
def test_lifetime_windows_and_the_never_policy_keep_tiers_forever(settings):
    gold = holding(GOLD, None)

    decision = decide(TIERS, settings, gold, 0, NOW + timedelta(days=5000))

    assert decision.tier == GOLD
    assert decision.retain_until is None


def test_an_archived_tier_moves_its_members_at_once():
    archived_gold = tier("Gold", 1000, archived=True)
    tiers = [SILVER, archived_gold]
    member = MemberTier(uuid4(), archived_gold.id, NOW, NOW + timedelta(days=300), 0)

    decision = decide(tiers, ROLLING, member, 1200, NOW)

    assert decision.tier == SILVER
    assert decision.move is TierMove.DOWN
    assert decision.reason is TierChangeReason.TIER_REMOVED


def test_a_tier_kept_forever_starts_its_period_when_the_policy_changes():
    gold = holding(GOLD, None)

    decision = decide(TIERS, ROLLING, gold, 0, NOW)

    assert decision.tier == GOLD
    assert decision.retain_until == kept_until(ROLLING, NOW)


def test_rolling_windows_exclude_their_first_instant():
    start = window_start(ROLLING, NOW)

    assert start == add_months(NOW, -12) + timedelta(microseconds=1)


def test_progress_and_retention():
    member = holding(SILVER, NOW + timedelta(days=10))

    ahead = progress(TIERS, ROLLING, SILVER, 700)
    keep = retention(ROLLING, SILVER, member, 300)

    assert ahead is not None
    assert (ahead.metric, ahead.value, ahead.threshold, ahead.remaining) == (
        TierMetric.POINTS_EARNED,
        700,
        1000,
        300,
    )
    assert progress(TIERS, ROLLING, GOLD, 5000) is None
    assert keep is not None
    assert (keep.by, keep.threshold, keep.remaining) == (NOW + timedelta(days=10), 500, 200)
    assert retention(TierSettings(), SILVER, holding(SILVER, None), 0) is None


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"name": "  "}, "name", ErrorCode.INVALID),
        ({"threshold": -1}, "threshold", ErrorCode.INVALID),
        ({"multiplier": Decimal("100.5")}, "multiplier", ErrorCode.INVALID),
        ({"multiplier": Decimal("1.0005")}, "multiplier", ErrorCode.INVALID),
        ({"name": "gold"}, "name", ErrorCode.DUPLICATE),
        ({"threshold": 1000}, "threshold", ErrorCode.DUPLICATE),
        ({"perks": ("",)}, "perks", ErrorCode.INVALID),
    ],
)
def test_bad_tiers_are_refused_with_the_field(change, field, code):
    draft = tier("Platinum", 5000)

    with pytest.raises(DomainError) as refused:
        validate_tier(replace(draft, **change), TIERS)

    assert refused.value.field == (field,)
    assert refused.value.code is code


def test_a_rolling_window_needs_its_months():
    with pytest.raises(DomainError) as refused:
        validate_settings(TierSettings(window=TierWindow.ROLLING_MONTHS))

    assert refused.value.code is ErrorCode.REQUIRED
    assert refused.value.field == ("rollingMonths",)


@given(
    thresholds=st.lists(st.integers(0, 10_000), min_size=1, max_size=6, unique=True),
    value=st.integers(0, 20_000),
)
def test_a_member_never_holds_a_tier_below_what_they_meet(thresholds, value):
    tiers = [tier(f"T{t}", t) for t in thresholds]
    held = tiers[0]

    decision = decide(tiers, ROLLING, holding(held, NOW + timedelta(days=1)), value, NOW)

    met = max((t for t in thresholds if t <= value), default=-1)
    assert decision.tier is not None or met == -1
    assert (decision.tier.threshold if decision.tier else -1) >= met
