"""A plan's variables and arguments, worked out the way graphql-core works them out, for the
shapes nearly every request has; graphql-core's own functions for everything else.

graphql-core coerces a request's variables and each field's arguments from the document for
every request: a signature per variable definition, a walk over the argument definitions,
the default values looked up, each value coerced through its type. For a status read that
was a tenth of the server's time. What does not change between requests (the variables'
signatures, which argument comes from which variable, the default values, a literal's
value) is worked out once, when the plan is compiled; per request, what is left is reading
the values.

Only values graphql-core passes through unchanged are taken this way: a `String` or an `ID`
given as a `str`, an `Int` given as an `int` (not a bool) in 32 bits, a `Boolean` given as a
bool, and null for a nullable variable; and an input object whose fields are all such
scalars (the `input` of nearly every mutation), given as a dict of those values, which
graphql-core turns into a new dict of its fields in their declared order, by their out
names, with the defaults of the absent ones. Anything else (another type, a default value on
a variable, an absent non-null variable, a null where none may be, a field the type does not
have, an input object with a list, an enum or another input object in it, a `@oneOf` input)
goes to graphql-core, which coerces it or reports the error exactly as before. The defaults of
absent arguments are the objects graphql-core itself gives (it memoizes them on the
argument), and literals are taken this way only when they are scalars.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    get_argument_values,
    get_variable_values,
    maybe_use_default_value,
)
from graphql.pyutils import Undefined
from graphql.type import is_required_input_field
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal

_MAX_INT = 2**31 - 1


def _int(value: Any) -> bool:
    return type(value) is int and -_MAX_INT - 1 <= value <= _MAX_INT


# The scalars whose coercion returns such a value as it is, and the check for it.
_AS_THEY_ARE: dict[Any, Callable[[Any], bool]] = {
    GraphQLString: lambda v: type(v) is str,
    GraphQLID: lambda v: type(v) is str,
    GraphQLInt: _int,
    GraphQLBoolean: lambda v: type(v) is bool,
}
_IMMUTABLE = (str, int, float, bool, type(None), Enum)


class _GoTheUsualWay(Exception):
    """A value this module does not take: graphql-core's own function answers."""


# An input field that must be given: it has no default and may not be null.
_REQUIRED = object()


def _taker(kind: Any) -> Callable[[Any], Any] | None:
    """A function from a variable's value (not None) of type `kind` (not non-null) to the
    value graphql-core coerces it to, raising _GoTheUsualWay when it is not one this
    module takes; None when no value of the type is."""
    if isinstance(kind, GraphQLInputObjectType):
        return _input_object(kind)
    check = _AS_THEY_ARE.get(kind)
    if check is None:
        return None

    def scalar(value: Any) -> Any:
        if check(value):
            return value
        raise _GoTheUsualWay

    return scalar


def _input_object(kind: GraphQLInputObjectType) -> Callable[[Any], Any] | None:
    """graphql-core's `coerce_input_value` of a dict for an input object of scalar fields."""
    if kind.is_one_of:
        return None
    # name, out name, non-null, the check of a given value, the default of an absent one
    fields: list[tuple[str, str, bool, Callable[[Any], bool], Any]] = []
    for name, field in kind.fields.items():
        non_null = isinstance(field.type, GraphQLNonNull)
        check = _AS_THEY_ARE.get(field.type.of_type if non_null else field.type)
        if check is None:
            return None
        if is_required_input_field(field):
            default = _REQUIRED
        else:
            try:
                default = coerce_default_value(field)  # memoized: the object it gives each time
            except TypeError:
                return None
            if default is not Undefined and not isinstance(default, _IMMUTABLE):
                return None
        fields.append((name, field.out_name or name, non_null, check, default))
    known = kind.fields.keys()
    out_type = kind.out_type

    def input_object(value: Any) -> Any:
        if type(value) is not dict or not value.keys() <= known:
            raise _GoTheUsualWay
        coerced: dict[str, Any] = {}
        for name, out_name, non_null, check, default in fields:
            given = value.get(name, Undefined)
            if given is Undefined:
                if default is _REQUIRED:
                    raise _GoTheUsualWay
                if default is not Undefined:
                    coerced[out_name] = default
            elif given is None:
                if non_null:
                    raise _GoTheUsualWay
                coerced[out_name] = None
            elif check(given):
                coerced[out_name] = given
            else:
                raise _GoTheUsualWay
        return out_type(coerced)

    return input_object


def compile_variables(
    schema: GraphQLSchema, definitions: tuple[VariableDefinitionNode, ...]
) -> Callable[[dict[str, Any]], VariableValues | list[GraphQLError]]:
    """A function from a request's variables to graphql-core's `get_variable_values` of
    them, for these definitions."""

    def usual(inputs: dict[str, Any]) -> VariableValues | list[GraphQLError]:
        return get_variable_values(schema, definitions, inputs)

    variables = []
    for definition in definitions:
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError) or definition.default_value is not None:
            return usual
        kind = signature.type
        non_null = isinstance(kind, GraphQLNonNull)
        take = _taker(kind.of_type if isinstance(kind, GraphQLNonNull) else kind)
        if take is None:
            return usual
        variables.append((signature.name, signature, non_null, take))

    def coerce(inputs: dict[str, Any]) -> VariableValues | list[GraphQLError]:
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        try:
            for name, signature, non_null, take in variables:
                value = inputs.get(name, Undefined)
                if value is Undefined:
                    if non_null:
                        raise _GoTheUsualWay
                    sources[name] = VariableValueSource(signature)  # omitted, as graphql-core
                elif value is None:
                    if non_null:
                        raise _GoTheUsualWay
                    sources[name] = VariableValueSource(signature, None)
                    coerced[name] = None
                else:
                    coerced[name] = take(value)
                    sources[name] = VariableValueSource(signature, value)
        except _GoTheUsualWay:
            return usual(inputs)
        return VariableValues(sources, coerced)

    return coerce


def compile_arguments(
    field_def: GraphQLField, node: FieldNode
) -> Callable[[VariableValues], dict[str, Any]]:
    """A function from a request's variable values to graphql-core's `get_argument_values`
    of this field at this node (which raises where that raises)."""

    def usual(variables: VariableValues) -> dict[str, Any]:
        return get_argument_values(field_def, node, variables)

    if not field_def.args:
        return lambda _variables: {}
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    # out name, variable, value (the default, for a variable), non-null, required
    steps: list[tuple[str, str | None, Any, bool, bool]] = []
    try:
        for name, arg_def in field_def.args.items():
            out_name = arg_def.out_name or name
            default = _default(arg_def, out_name, node)
            non_null = isinstance(arg_def.type, GraphQLNonNull)
            required = non_null and default is Undefined
            value_node: ValueNode | None = given.get(name)
            if value_node is None:
                if required:
                    return usual  # graphql-core reports the missing argument
                steps.append((out_name, None, default, False, False))
            elif isinstance(value_node, VariableNode):
                steps.append((out_name, value_node.name.value, default, non_null, required))
            else:
                value = coerce_input_literal(value_node, arg_def.type)
                if value is Undefined or not isinstance(value, _IMMUTABLE):
                    return usual
                steps.append((out_name, None, value, False, False))
    except (GraphQLError, TypeError):
        return usual

    def arguments(variables: VariableValues) -> dict[str, Any]:
        coerced = variables.coerced
        values: dict[str, Any] = {}
        try:
            for out_name, variable, value, non_null, required in steps:
                if variable is not None:
                    if variable in coerced:
                        value = coerced[variable]
                        if value is None and non_null:
                            raise _GoTheUsualWay
                    elif required:
                        raise _GoTheUsualWay
                if value is not Undefined:
                    values[out_name] = value
        except _GoTheUsualWay:
            return usual(variables)
        return values

    return arguments


def _default(arg_def: Any, out_name: str, node: FieldNode) -> Any:
    """The argument's default as graphql-core gives it (Undefined: none), or raises."""
    found: dict[str, Any] = {}

    def refuse(error: GraphQLError, _path: list[str | int]) -> None:
        raise error

    maybe_use_default_value(found, out_name, arg_def, refuse)
    return found.get(out_name, Undefined)
