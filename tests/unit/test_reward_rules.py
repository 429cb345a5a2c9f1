"""Pure rules of rewards: what a code takes off a cart, what a variable cost accepts, what
codes look like."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import draft_reward
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.rewards import (
    CODE_ALPHABET,
    RewardKind,
    cost_of,
    discount_for,
    new_code,
    validate_reward,
)

CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
subtotals = st.integers(min_value=0, max_value=10**9)


def reward(**fields: object):
    return draft_reward({"name": "R", "points_cost": 100, **fields}, CLOCK)


@given(
    subtotal=subtotals,
    percentage=st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=10**7)),
)
def test_a_percentage_never_exceeds_the_cart_or_its_cap(subtotal, percentage, cap):
    r = reward(kind=RewardKind.PERCENTAGE, percentage=percentage, max_discount_minor=cap)

    off = discount_for(r.terms, None, subtotal).amount_minor

    assert 0 <= off <= subtotal
    assert cap is None or off <= cap
    assert off == min(int(subtotal * percentage / 100), cap if cap is not None else off)


@given(subtotal=subtotals, value=st.integers(min_value=1, max_value=10**7))
@pytest.mark.parametrize("kind", [RewardKind.FIXED_AMOUNT, RewardKind.STORE_CREDIT])
def test_an_amount_off_is_the_value_up_to_the_cart(kind, subtotal, value):
    off = discount_for(reward(kind=kind).terms, value, subtotal).amount_minor

    assert off == min(value, subtotal)


@given(
    low=st.integers(min_value=1, max_value=1000),
    span=st.integers(min_value=0, max_value=20),
    step=st.integers(min_value=1, max_value=500),
    points=st.integers(min_value=-10, max_value=20_000),
)
def test_a_variable_cost_accepts_exactly_the_steps_between_min_and_max(low, span, step, points):
    r = reward(
        kind=RewardKind.STORE_CREDIT,
        points_cost=None,
        min_points=low,
        max_points=low + span * step,
        step_points=step,
        value_per_step_minor=7,
    )
    on_grid = low <= points <= low + span * step and (points - low) % step == 0

    if on_grid:
        cost = cost_of(r, points)
        assert (cost.points, cost.value_minor) == (points, points // step * 7)
    else:
        with pytest.raises(DomainError) as refused:
            cost_of(r, points)
        assert refused.value.field == ("points",)


@given(length=st.integers(min_value=6, max_value=32), prefix=st.sampled_from(["", "VIP-", "X1"]))
def test_generated_codes_use_only_the_unambiguous_alphabet(length, prefix):
    code = new_code(prefix, length)

    assert code.startswith(prefix) and len(code) == len(prefix) + length
    assert set(code[len(prefix) :]) <= set(CODE_ALPHABET)


def test_a_time_window_with_no_offset_is_refused():
    naive = reward(kind=RewardKind.CUSTOM, starts_at=datetime(2026, 6, 1))

    with pytest.raises(DomainError) as refused:
        validate_reward(naive)
    assert refused.value.field == ("startsAt",)
    assert validate_reward(replace(naive, starts_at=None)).starts_at is None
