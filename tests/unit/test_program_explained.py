"""The sentences of the program explained, from configurations the API tests do not reach:
other currencies, tier metrics and windows, per-item bonuses, variable store credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.catalog import draft_reward
from domain.clock import FixedClock
from domain.money import format_amount, format_money
from domain.program import ActionRule, EarnRule, ProgramConfig, RuleKind
from domain.program_explained import explain_earning, explain_redeeming
from domain.rewards import RewardKind
from domain.tiers import Tier, TierMetric, TierSettings, TierWindow

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def _tier(name: str, threshold: int, multiplier: str = "1") -> Tier:
    return Tier(uuid4(), name, threshold, Decimal(multiplier), (), False, NOW, NOW)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (500, "USD", "$5"),
        (550, "USD", "$5.50"),
        (125000, "EUR", "€1,250"),
        (500, "JPY", "¥500"),
        (1250, "CHF", "12.50 CHF"),
        (1234, "KWD", "1.234 KWD"),
        (-300, "GBP", "-£3"),
    ],
)
def test_money_reads_as_shoppers_write_it(minor, currency, text):
    assert format_money(minor, currency) == text


def test_a_rate_in_a_currency_without_a_symbol_reads_after_the_amount():
    assert format_amount(Decimal("2.5"), "CHF") == "2.50 CHF"


@pytest.mark.parametrize(
    ("metric", "window", "months", "text"),
    [
        (
            TierMetric.POINTS_EARNED,
            TierWindow.LIFETIME,
            None,
            "Gold: member status from 1 lifetime point.",
        ),
        (
            TierMetric.POINTS_EARNED,
            TierWindow.CALENDAR_YEAR,
            None,
            "Gold: member status from 1 point earned in a calendar year.",
        ),
        (
            TierMetric.AMOUNT_SPENT,
            TierWindow.ROLLING_MONTHS,
            12,
            "Gold: member status from $0.01 spent in 12 months.",
        ),
        (TierMetric.ORDER_COUNT, TierWindow.LIFETIME, None, "Gold: member status from 1 order."),
    ],
)
def test_a_tier_says_what_reaching_it_takes(metric, window, months, text):
    settings = TierSettings(metric=metric, window=window, rolling_months=months)

    items = explain_earning(
        ProgramConfig(points_per_unit=Decimal(0)), [_tier("Gold", 1)], settings, NOW
    )

    assert [x.description for x in items] == [text]


def test_rules_targeting_lines_and_starting_later_say_so():
    config = ProgramConfig(
        currency="CHF",
        points_per_unit=Decimal("0.1"),
        rules=(
            EarnRule(
                "sku",
                "Socks bonus",
                RuleKind.BONUS,
                points=5,
                skus=("sock-1",),
                min_order_minor=2000,
                starts_at=NOW + timedelta(days=3),
            ),
        ),
        actions=(ActionRule("app_download", 30, once=True),),
    )

    items = explain_earning(config, [_tier("Base", 0)], TierSettings(), NOW)

    assert [(x.title, x.description) for x in items] == [
        ("Shop", "Earn 1 point per 10 CHF spent."),
        (
            "Socks bonus",
            "Earn 5 points extra per item on selected products in orders of 20 CHF or more"
            " from March 5, 2026.",
        ),
        ("App download", "Earn 30 points for app download, once."),
        ("Base", "Base: member status from the start."),
    ]


def test_variable_store_credit_says_what_each_step_is_worth():
    clock = FixedClock(NOW)
    credit = draft_reward(
        {
            "name": "Credit",
            "kind": RewardKind.STORE_CREDIT,
            "min_points": 100,
            "max_points": 1000,
            "step_points": 50,
            "value_per_step_minor": 25,
        },
        clock,
    )
    archived = draft_reward(
        {"name": "Old", "kind": RewardKind.CUSTOM, "points_cost": 5, "archived": True}, clock
    )
    custom = draft_reward({"name": "Tote bag", "kind": RewardKind.CUSTOM, "points_cost": 1}, clock)

    items = explain_redeeming(ProgramConfig(), [credit, archived, custom], NOW)

    assert [(x.title, x.description, x.points) for x in items] == [
        ("Credit", "$0.25 store credit for every 50 points, from 100 points.", 100),
        ("Tote bag", "1 point: Tote bag.", 1),
    ]
