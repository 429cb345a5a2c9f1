"""Given every scalar and input object type graphql/schema.graphql defines, when hostile
values of it (NUL bytes, lone surrogates, huge exponents, naive and out-of-range datetimes,
2^63, deep nesting, wrong JSON types) arrive in the variables of any root field that takes it,
then the server answers GraphQL JSON below HTTP 500 with data or typed errors, never a masked
INTERNAL error.

The types are read from the schema, so a type added to it is fuzzed without a change here,
and a scalar without values in tests/fuzz/scalars.py fails loudly."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLScalarType,
    coerce_input_value,
    specified_scalar_types,
)
from graphql.pyutils import Undefined
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import assert_answered
from tests.fuzz.inputs import Inputs, fuzzed_types, load_schema
from tests.fuzz.scalars import Seeds, scalar_values
from tests.fuzz.settings import fuzz_settings
from tests.fuzz.world import World
from tests.support.live_api import LiveApi

SCHEMA = load_schema()
TYPES = [t.name for t in fuzzed_types(SCHEMA)]
# Scalars beyond GraphQL's own: where the parsing rules (and most of the past bugs) live.
CUSTOM_SCALARS = [
    t
    for t in TYPES
    if isinstance(SCHEMA.type_map[t], GraphQLScalarType) and t not in specified_scalar_types
]


def aims(types: list[str]) -> list[Any]:
    """Each type, through each root field whose arguments can hold it."""
    return [
        pytest.param(t, c.label, id=f"{t}-via-{c.name}")
        for t in types
        for c in Inputs(SCHEMA, Seeds()).carriers(SCHEMA.type_map[t])
    ]


# Between them, secret keys and operator sessions may call every root field that takes
# input; the fuzz of each credential kind over every operation is test_schemathesis.py's.
CALLERS = ("secret", "operator")


def test_every_scalar_and_input_type_is_fuzzed() -> None:
    # given the schema's scalars and input object types
    inputs = Inputs(SCHEMA, Seeds())

    # then each has values to send and a root field to send them through
    for name in TYPES:
        type_ = SCHEMA.type_map[name]
        if isinstance(type_, GraphQLScalarType):
            scalar_values(name)  # raises, naming the scalar, when it has none
        assert inputs.carriers(type_), f"no root field argument can hold a {name}"
    assert {"BigInt", "Decimal", "DateTime", "Date", "ID", "String", "Int"} <= set(TYPES)


def test_the_valid_examples_are_well_typed_values_of_real_input_types(world: World) -> None:
    # given the world's valid example of each input type
    for name, example in world.examples.items():
        type_ = SCHEMA.type_map.get(name)

        # then each names an input type and is a value of it, so it still is when the
        # schema changes
        assert isinstance(type_, GraphQLInputObjectType), f"{name} is no input type"
        coerced = coerce_input_value(example, type_)
        assert coerced is not Undefined, f"the example of {name} is no value of it: {example}"


@pytest.mark.parametrize(("target", "carrier"), aims(CUSTOM_SCALARS))
@fuzz_settings(default_examples=25)
@given(data=st.data())
def test_hostile_values_of_each_custom_scalar_are_answered(
    target: str, carrier: str, world: World, live_api: LiveApi, data: st.DataObject
) -> None:
    send_aimed(target, carrier, world, live_api, data)


@pytest.mark.parametrize(("target", "carrier"), aims([t for t in TYPES if t not in CUSTOM_SCALARS]))
@fuzz_settings(default_examples=8)
@given(data=st.data())
def test_hostile_values_of_each_input_type_and_builtin_scalar_are_answered(
    target: str, carrier: str, world: World, live_api: LiveApi, data: st.DataObject
) -> None:
    send_aimed(target, carrier, world, live_api, data)


def send_aimed(
    target: str, carrier: str, world: World, live_api: LiveApi, data: st.DataObject
) -> None:
    # given a root field that takes `target`, and variables with hostile values of it
    inputs = Inputs(SCHEMA, world.seeds)
    type_ = SCHEMA.type_map[target]
    (through,) = [c for c in inputs.carriers(type_) if c.label == carrier]
    body = data.draw(inputs.request(through, type_), label="body")

    for caller in CALLERS:
        # when a caller that may use the field sends it
        response, sent = live_api.post(body, world.credentials[caller])

        # then it is answered: data or typed errors, below 500, nothing masked as INTERNAL
        assert_answered(response, sent)
