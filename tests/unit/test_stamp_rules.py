"""Pure rules of the stamp card: what earns stamps, what goes on a card, when cards
complete, and what a card must hold to be saved."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.earning import Order, OrderLine
from domain.errors import DomainError
from domain.lot_expiry import ExpiryUnit, LotExpiry
from domain.program import Channel, ProgramConfig, from_json, to_json
from domain.stamp_card import StampCard, StampRule, validate_card
from domain.stamp_rules import (
    MAX_STAMPS_PER_CHANGE,
    cards_due,
    on_card,
    stamps_for_action,
    stamps_for_order,
    stamps_to_credit,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CARD = StampCard(
    enabled=True,
    card_size=5,
    rules=(
        StampRule("order", 1, min_order_minor=1000),
        StampRule("coffee", 2, skus=("coffee",)),
        StampRule("pastry", 1, categories=("bakery",)),
        StampRule("visit", 1, action="check_in"),
        StampRule("old", 9, active=False),
    ),
    reward_points=50,
)


def order(*lines: OrderLine, discount: int = 0) -> Order:
    return Order("o-1", uuid.uuid4(), "USD", Channel.WEB, NOW, lines, discount_minor=discount)


def test_an_order_earns_each_matching_rule_per_order_or_per_matching_unit():
    # given an order of $12.00: 3 coffees and a croissant from the bakery
    bought = order(OrderLine("coffee", 3, 300), OrderLine("croissant", 1, 300, "bakery"))

    # then it earns 1 for the order, 2 per coffee and 1 per bakery item
    assert stamps_for_order(CARD, bought) == 1 + 6 + 1


def test_the_order_minimum_is_on_what_was_paid_after_discounts():
    # given an order of $11 with $2 off: $9 paid
    bought = order(OrderLine("tea", 1, 1100), discount=200)

    # then it is below the $10 minimum and earns nothing
    assert stamps_for_order(CARD, bought) == 0


def test_no_card_or_a_disabled_card_earns_nothing():
    bought = order(OrderLine("coffee", 1, 2000))
    assert stamps_for_order(None, bought) == 0
    assert stamps_for_order(StampCard(enabled=False, rules=CARD.rules), bought) == 0
    assert stamps_for_action(None, "check_in") == 0


def test_one_order_earns_at_most_the_cap():
    assert stamps_for_order(CARD, order(OrderLine("coffee", 100_000, 1))) == MAX_STAMPS_PER_CHANGE


def test_actions_earn_only_their_rules():
    assert stamps_for_action(CARD, "check_in") == 1
    assert stamps_for_action(CARD, "review") == 0


@pytest.mark.parametrize(
    ("resets", "collected", "completed", "due"),
    [
        (True, 4, 0, 0),
        (True, 5, 0, 1),
        (True, 12, 3, 2),  # extra stamps carry over to the next card
        (False, 5, 0, 1),
        (False, 10, 0, 1),  # a card that does not reset completes once
        (False, 5, 1, 0),
    ],
)
def test_cards_complete_when_full(resets, collected, completed, due):
    card = StampCard(enabled=True, card_size=5, resets=resets)
    assert cards_due(card, collected, completed) == due


def test_a_card_that_does_not_reset_takes_only_what_fills_it():
    once = StampCard(enabled=True, card_size=5, resets=False)
    assert stamps_to_credit(once, 4, collected=3, completed=0) == 2
    assert stamps_to_credit(once, 4, collected=0, completed=1) == 0
    assert stamps_to_credit(CARD, 40, collected=3, completed=7) == 40


def test_the_card_shows_at_most_a_full_card_and_nothing_while_owed():
    assert on_card(5, 3) == 3
    assert on_card(5, 7) == 5
    assert on_card(5, -2) == 0


@pytest.mark.parametrize(
    ("card", "field"),
    [
        (StampCard(enabled=True, rules=CARD.rules), ("rewardPoints",)),
        (StampCard(enabled=True, reward_points=5), ("rules",)),
        (StampCard(card_size=0), ("cardSize",)),
        (StampCard(reward_points=5, reward_id=uuid.uuid4()), ("rewardId",)),
        (StampCard(rules=(StampRule("a", 0),)), ("rules", "0", "stamps")),
        (StampCard(rules=(StampRule("a", 1), StampRule("a", 1))), ("rules", "1", "id")),
        (
            StampCard(rules=(StampRule("a", 1, skus=("x",), action="visit"),)),
            ("rules", "0", "action"),
        ),
        (StampCard(expiry=LotExpiry(0, ExpiryUnit.DAYS)), ("expiry", "after")),
    ],
)
def test_a_card_out_of_bounds_is_refused_on_its_field(card, field):
    with pytest.raises(DomainError) as refused:
        validate_card(card)
    assert refused.value.field == field


def test_the_card_is_stored_with_the_program_and_read_back_unchanged():
    # given a program with a card that expires its stamps and gives a catalog reward
    card = StampCard(
        enabled=True,
        card_size=8,
        rules=CARD.rules,
        reward_id=uuid.uuid4(),
        expiry=LotExpiry(3, ExpiryUnit.MONTHS, end_of_month=True),
        resets=False,
    )
    program = ProgramConfig(version=4, stamp_card=card)

    # then its storage form reads back as the same program; a program without a card
    # stores no card at all
    assert from_json(4, to_json(program)) == program
    assert "stamp_card" not in to_json(ProgramConfig())
