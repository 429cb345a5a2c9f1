"""The decimal bound (domain/decimals.py) and a program read back from storage: any text a
client or an old row may hold is answered at once, within the bound or refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.decimals import MAX_INTEGER_DIGITS, MAX_PLACES, bounded_decimal
from domain.errors import DomainError
from domain.program import from_json, refuse_if_damaged, still_damaged, to_json, validate

STORED = {
    "currency": "USD",
    "points_per_unit": "1",
    "rounding": "DOWN",
    "point_value_minor": "1",
    "pending_days": 0,
    "refund_policy": "CLAWBACK_AVAILABLE",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", Decimal("1.5")),
        ("0.000001", Decimal("0.000001")),
        ("0E-100000000", Decimal(0)),
        ("999999999999", Decimal("999999999999")),
        (7, Decimal(7)),
        ("1.50", Decimal("1.50")),
    ],
)
def test_numbers_within_the_bound_are_kept(text, expected):
    assert bounded_decimal(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1e-100000000",
        "1e+100000000",
        "0.0000001",
        "1000000000000",
        "NaN",
        "-Infinity",
        "sNaN",
        "1" * 41,
        "",
        "one",
        True,
        None,
        [1],
        pytest.param(10**5000, id="huge-int"),
    ],
)
def test_anything_beyond_the_bound_is_refused(text):
    with pytest.raises(DomainError):
        bounded_decimal(text)


@given(
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.from_regex(r"\A[-+]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,12})?\Z")
)
def test_any_decimal_is_bounded_or_refused(value):
    try:
        number = bounded_decimal(value)
    except DomainError:
        return
    assert number.is_finite()
    assert abs(number) < Decimal(10) ** MAX_INTEGER_DIGITS
    assert number == number.quantize(Decimal(1).scaleb(-MAX_PLACES))


def test_a_stored_program_out_of_bounds_is_read_as_damaged_and_earns_nothing():
    # given a program stored with a hostile rate and a hostile rule multiplier
    rule = {"id": "x", "name": "x", "kind": "MULTIPLIER", "multiplier": "1e-1000000"}
    stored = {**STORED, "points_per_unit": "1e-100000000", "rules": [rule]}

    # when it is read back
    config = from_json(3, stored)

    # then both fields are named as damaged, hold stand-ins, and refuse earning and saving
    assert config.damaged == ("pointsPerUnit", "rules.0.multiplier")
    assert config.points_per_unit == Decimal(1)
    with pytest.raises(DomainError):
        refuse_if_damaged(config)
    with pytest.raises(DomainError) as refused:
        validate(config)
    assert refused.value.field == ("pointsPerUnit",)

    # and a change giving both fields anew leaves nothing damaged
    assert still_damaged(config, {"points_per_unit"}) == ("rules.0.multiplier",)
    assert still_damaged(config, {"points_per_unit", "rules"}) == ()


@pytest.mark.parametrize("rate", ["0.015625", "0.000000125"], ids=["input-places", "finer"])
def test_a_stored_program_within_bounds_reads_back_as_it_was_saved(rate):
    # given a rate as an input may give it, and a finer one saved before the bound existed
    config = from_json(1, {**STORED, "points_per_unit": rate})

    # then both are read as they were saved
    assert config.damaged == ()
    assert config.points_per_unit == Decimal(rate)
    assert from_json(1, to_json(config)) == config
