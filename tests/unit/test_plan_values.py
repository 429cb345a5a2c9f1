"""A plan's variables and arguments (engine/plan_values.py) are graphql-core's own: for
any request variables, the compiled functions give what get_variable_values and
get_argument_values give, errors included."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, OperationDefinitionNode, build_schema, parse
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.plan_values import compile_arguments, compile_variables

SCHEMA = build_schema(
    """
    enum Color { RED GREEN }
    input Box { size: Int }
    input Adjust { id: ID, n: Int!, s: String = "d", b: Boolean, dn: Int! = 3, z: String = null }
    input Nested { box: Box, n: Int }
    input Tagged { tags: [String], n: Int }
    input Pick @oneOf { a: Int, s: String }
    type Query {
      f(s: String, id: ID, n: Int, b: Boolean, req: String!, d: Int = 7, c: Color,
        l: [Int], box: Box, nd: String! = "x", fl: Float, a: Adjust, nest: Nested,
        tagged: Tagged, pick: Pick): String
    }
    """
)
OPERATIONS = [
    "query($s: String, $id: ID, $n: Int, $b: Boolean, $r: String!)"
    " { f(s: $s, id: $id, n: $n, b: $b, req: $r) }",
    "query($n: Int!, $r: String!, $c: Color) { f(req: $r, d: $n, c: $c, nd: $r) }",
    'query($s: String) { f(req: "lit", n: 3, c: RED, s: $s, d: $s2) }'.replace(", d: $s2", ""),
    "query($r: String!, $x: Float, $d: Int = 5) { f(req: $r, fl: $x, d: $d) }",
    'query($l: [Int], $r: String!) { f(req: $r, l: $l, box: {size: 1}, nd: "y") }',
    "query($b: Boolean!, $i: ID!) { f(req: $i, b: $b, d: null) }",
    "query($a: Adjust!, $r: String!) { f(req: $r, a: $a) }",
    "query($a: Adjust, $t: Nested, $g: Tagged, $p: Pick)"
    ' { f(req: "x", a: $a, nest: $t, tagged: $g, pick: $p) }',
    'query($a: Adjust!, $o: Box, $n: Int) { f(req: "x", a: $a, box: $o, n: $n) }',
]
VARIABLE_NAMES = ["s", "id", "n", "b", "r", "c", "x", "d", "l", "i"]
OBJECT_NAMES = ["a", "t", "g", "p", "o"]
VALUES = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.integers(min_value=-(2**32), max_value=2**32),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["RED", "GREEN", "BLUE"]),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=2),
)
# An input object's value: its fields (and one it does not have) given or not, mostly as
# they must be, so that most objects get past the first field.
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(VALUES, st.fixed_dictionaries({}, optional={"size": VALUES}))
        for name in ["id", "n", "s", "b", "dn", "z", "box", "tags", "a", "size", "other"]
    },
)
OBJECTS = st.one_of(
    FIELDS,
    st.builds(lambda n, rest: {"n": n, **rest}, st.integers(-5, 5), FIELDS),
    VALUES,
)
# Each variable given or not; the required ones mostly as strings, so that most requests
# get past them to the values of the others.
REQUESTS = st.fixed_dictionaries(
    {},
    optional={
        **{
            name: st.one_of(st.text(max_size=3), VALUES) if name in ("r", "i") else VALUES
            for name in VARIABLE_NAMES
        },
        **{name: OBJECTS for name in OBJECT_NAMES},
    },
)
# Shapes a random search could miss: numbers for IDs and strings, bools for Ints, 32 bits.
CHOSEN = [
    {"id": 5, "r": "x", "i": "x"},
    {"id": "5", "r": "x", "i": 7, "b": True},
    {"n": True, "r": "x"},
    {"n": 2**31, "r": "x"},
    {"n": -(2**31), "r": "x", "d": 3},
    {"n": 1.0, "r": "x"},
    {"s": None, "r": "x", "x": 2},
    {"s": 3, "r": "x", "c": "RED", "l": [1]},
    {"r": None},
    {"b": "true", "i": "1"},
    {},
    {"a": {"n": 1}, "r": "x"},
    {"a": {"n": 1, "id": "m", "s": None, "b": False, "dn": 4, "z": "q"}, "r": "x"},
    {"a": {"n": 1, "dn": None}, "r": "x"},
    {"a": {"n": None}, "r": "x"},
    {"a": {"id": 1, "n": 2}, "r": "x"},
    {"a": {"n": 2**31}, "r": "x"},
    {"a": {"n": True}, "r": "x"},
    {"a": {"n": 1, "other": 1}, "r": "x"},
    {"a": {}, "r": "x"},
    {"a": [{"n": 1}], "r": "x"},
    {"a": "n", "r": "x"},
    {"a": None, "r": "x"},
    {"t": {"box": {"size": 1}, "n": 1}, "g": {"tags": "x", "n": 1}, "p": {"a": 1}},
    {"p": {"a": 1, "s": "x"}, "o": {"size": 2}, "a": {"n": 3}},
    {"p": {"a": None}, "o": {"size": "2"}, "a": {"n": 3, "z": None}},
]


def _operation(text: str) -> OperationDefinitionNode:
    operation = parse(text).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _ordered(value: Any) -> Any:
    """A value with its dicts as lists of their items: the same only in the same order."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _variables(found: Any) -> Any:
    if isinstance(found, VariableValues):
        sources = {name: (s.signature.name, s.value) for name, s in found.sources.items()}
        return ("values", sources, _ordered(found.coerced))
    return ("errors", [e.message for e in found])


def _arguments(function: Any, *args: Any) -> Any:
    try:
        return ("values", _ordered(function(*args)))
    except GraphQLError as error:
        return ("error", error.message)


@pytest.mark.parametrize("text", OPERATIONS)
@settings(max_examples=200, deadline=None)
@given(inputs=REQUESTS)
def test_variables_and_arguments_are_graphql_cores(text, inputs):
    _same_both_ways(text, inputs)


@pytest.mark.parametrize("text", OPERATIONS)
@pytest.mark.parametrize("inputs", CHOSEN)
def test_chosen_requests_are_graphql_cores(text, inputs):
    _same_both_ways(text, inputs)


def _same_both_ways(text: str, inputs: dict[str, Any]) -> None:
    # given an operation, and its field's argument function compiled once
    operation = _operation(text)
    definitions = tuple(operation.variable_definitions or ())
    field_node = operation.selection_set.selections[0]
    field_def = SCHEMA.query_type.fields["f"]  # type: ignore[union-attr]
    compiled_variables = compile_variables(SCHEMA, definitions)
    compiled_arguments = compile_arguments(field_def, field_node)  # type: ignore[arg-type]

    # when a request's variables are coerced both ways
    usual = get_variable_values(SCHEMA, definitions, inputs)
    planned = compiled_variables(inputs)

    # then they are the same values, or the same errors
    assert _variables(planned) == _variables(usual)

    # and so are the field's arguments from them
    if isinstance(usual, VariableValues):
        assert _arguments(compiled_arguments, planned) == _arguments(
            get_argument_values, field_def, field_node, usual
        )


def test_the_common_shapes_are_compiled_rather_than_handed_over():
    # the fast way is taken for the shapes requests have (a test that it is not always
    # graphql-core answering: its functions would give the same answers)
    operation = _operation(OPERATIONS[0])
    compiled = compile_variables(SCHEMA, tuple(operation.variable_definitions or ()))
    assert compiled.__name__ == "coerce"
    field_def = SCHEMA.query_type.fields["f"]  # type: ignore[union-attr]
    arguments = compile_arguments(field_def, operation.selection_set.selections[0])  # type: ignore[arg-type]
    assert arguments.__name__ == "arguments"


def test_an_input_object_of_scalars_is_coerced_without_graphql_core(monkeypatch):
    # given an input object of scalar fields, the compiled function of its variable
    operation = _operation(OPERATIONS[6])
    compiled = compile_variables(SCHEMA, tuple(operation.variable_definitions or ()))

    # when graphql-core's own function is out of reach
    def refused(*_args: Any) -> Any:
        raise AssertionError("handed over to graphql-core")

    monkeypatch.setattr("engine.plan_values.get_variable_values", refused)
    found = compiled({"a": {"n": 1, "s": None, "id": "m"}, "r": "x"})

    # then the object comes as graphql-core gives it: declared order, defaults filled in
    assert isinstance(found, VariableValues)
    assert _ordered(found.coerced["a"]) == [
        ("id", "m"),
        ("n", 1),
        ("s", None),
        ("dn", 3),
        ("z", None),
    ]
