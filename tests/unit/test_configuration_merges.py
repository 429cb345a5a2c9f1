"""How partial configuration updates merge: fields left out keep their values, cleared
fields go back to null, and only what may be cleared is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.catalog import draft_reward
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.partial_updates import PartialUpdate, given
from domain.program import DEFAULT_PROGRAM, ExpiryUnit, LotExpiry
from domain.program_update import updated_program
from domain.referral_settings import ReferralSettings
from domain.reward_update import CLEARABLE, reward_update
from domain.rewards import LimitPeriod, RewardKind

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_given_drops_the_fields_left_out_and_keeps_falsy_values():
    assert given(a=None, b=0, c=False, d="") == {"b": 0, "c": False, "d": ""}


def test_a_partial_update_changes_only_the_fields_it_gives():
    # given settings with a cap
    current = ReferralSettings(active=True, cap=5, cap_period=LimitPeriod.MONTH)

    # when an update gives one field and leaves the others out
    updated = PartialUpdate.of({"active": False, "cap": None}).applied_to(current)

    # then that field changes and the rest keep their values
    assert updated == replace(current, active=False)


def test_a_cleared_field_goes_back_to_null_even_when_also_given():
    # given settings with a cap and a link template
    current = ReferralSettings(cap=5, cap_period=LimitPeriod.MONTH, url_template="https://x/{code}")

    # when the cap is both given and cleared
    updated = PartialUpdate.of({"cap": 9}, ["cap", "cap_period"]).applied_to(current)

    # then clearing wins, and the template is untouched
    assert (updated.cap, updated.cap_period) == (None, None)
    assert updated.url_template == "https://x/{code}"


def test_a_program_update_replaces_lists_and_keeps_the_rest():
    # given a program with an expiry and a minimum order
    current = replace(
        DEFAULT_PROGRAM, lot_expiry=LotExpiry(12, ExpiryUnit.MONTHS), min_order_minor=500
    )

    # when an update sets the rate and clears the expiry
    updated = updated_program(
        current, PartialUpdate.of({"points_per_unit": Decimal(2), "rules": ()}, ["lot_expiry"])
    )

    # then those change and the minimum order stays
    assert updated.points_per_unit == Decimal(2)
    assert updated.lot_expiry is None
    assert updated.min_order_minor == 500


def test_a_damaged_program_field_stays_flagged_until_it_is_set():
    # given a program whose stored rate and a rule's multiplier were damaged
    current = replace(DEFAULT_PROGRAM, damaged=("pointsPerUnit", "rules.0.multiplier"))

    # when an update sets the rate only
    rate_set = updated_program(current, PartialUpdate.of({"points_per_unit": Decimal(3)}))

    # then only the rule stays damaged; giving the rules mends it too
    assert rate_set.damaged == ("rules.0.multiplier",)
    assert updated_program(rate_set, PartialUpdate.of({"rules": ()})).damaged == ()


def test_a_program_update_leaving_damaged_fields_out_keeps_them_flagged():
    current = replace(DEFAULT_PROGRAM, damaged=("pointValue",))
    updated = updated_program(current, PartialUpdate.of({"min_order_minor": 1}))
    assert updated.damaged == ("pointValue",)


def test_a_reward_update_clears_optional_terms():
    # given a reward with stock and an end
    reward = draft_reward(
        {
            "name": "R",
            "kind": RewardKind.FIXED_AMOUNT,
            "value_minor": 500,
            "points_cost": 100,
            "stock": 10,
            "ends_at": NOW,
        },
        FixedClock(NOW),
    )

    # when the stock and the end are cleared, and the name changed
    update = reward_update({"name": "S"}, {"stock": "stock", "endsAt": "ends_at"})
    updated = update.applied_to(reward)

    # then both are unlimited again under the new name
    assert (updated.stock, updated.ends_at, updated.name) == (None, None, "S")


@pytest.mark.parametrize(
    ("named", "field"),
    [("name", None), ("minOrderValue", "min_order_minor"), ("kind", "kind"), ("nope", None)],
)
def test_a_reward_field_that_must_keep_a_value_cannot_be_cleared(named, field):
    # given a request to clear a required field, or a name that is no field
    # when the update is made
    with pytest.raises(DomainError) as refused:
        reward_update({}, {"stock": "stock", named: field})

    # then it is refused on `clear`, naming the field as the caller did
    assert refused.value.field == ("clear",)
    assert str(refused.value) == f"{named} cannot be cleared."


def test_only_optional_reward_terms_are_clearable():
    assert "min_order_minor" not in CLEARABLE and "name" not in CLEARABLE
    assert {"stock", "ends_at", "value_minor", "points_cost"} <= CLEARABLE
