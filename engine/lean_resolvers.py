"""Resolvers called without strawberry's per-call wrapping where that wrapping does nothing.

For every field with a resolver, strawberry's converter wraps the resolver in a function
that, per call, builds the strawberry `Info`, converts each argument (`convert_arguments`:
an import, a name conversion and a walk over the argument's type, its input types' field
types resolved anew each time), runs the field's extensions and exception handlers,
collects the positional arguments and, for an async resolver, awaits it inside one more
coroutine. For a field with no extensions or permissions and no exception handlers in the
schema, all of that comes down to: convert each argument the way `convert_argument` does
(worked out once per argument type here, at start-up), build the `Info`, call the function.
That is what the lean resolver installed here does: about a tenth of a page's CPU
(`member(id:) { history(first:) }`: `get_arguments` alone was 9 % of the server's time), and
of a mutation's (`adjustPoints`: converting its input was 8 %).

The conversion kept is strawberry's own for what this schema uses: scalars and enums pass
as graphql-core coerced them, null stays null, a list is copied (its items converted), an
input type is built from its fields with an implicit None for fields without a default.
Anything else keeps strawberry's resolver: `Maybe`, strawberry's GlobalID, lazy types,
inputs with their own `from_input`, `root`/`parent` parameters, field extensions, permission
classes. An async resolver's coroutine is returned as it is; graphql-core awaits it, as it
awaits strawberry's own wrapper.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from engine.plain_tree import strawberry_field

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def install(schema: Any) -> list[str]:
    """Puts lean resolvers on every field of `schema` (a strawberry Schema) that allows
    one; returns the fields changed, as `Type.field`."""
    converter = schema.schema_converter
    if converter.exception_handlers:
        return []  # handlers may apply to any field: strawberry's wrapper finds them
    convert = _Converters(schema.config, converter.scalar_registry)
    changed = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field_def in graphql_type.fields.items():
            lean = _lean(field_def, schema.config, convert)
            if lean is not None:
                field_def.resolve = lean
                changed.append(f"{graphql_type.name}.{name}")
    return changed


def _lean(field_def: GraphQLField, config: Any, convert: _Converters) -> Callable[..., Any] | None:
    field = strawberry_field(field_def)
    if not isinstance(field, StrawberryField):
        return None
    if field.is_subscription:
        return None  # its resolver makes the event stream; graphql-core maps each event
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.permission_classes:
        return None
    if resolver.parent_parameter is not None or resolver.root_parameter is not None:
        return None
    function = resolver.wrapped_func
    if not inspect.isfunction(function):
        return None  # class methods, partials, callable objects: strawberry's way
    takes_self = resolver.self_parameter is not None
    parameters = list(resolver.signature.parameters.values())[1 if takes_self else 0 :]
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters):
        return None
    names: dict[str, str] = {}
    converts: dict[str, tuple[str, Convert]] = {}
    for argument in field.arguments:
        converted = convert.of(argument.type)
        if converted is None or argument.python_name is None:
            return None
        graphql_name = config.name_converter.from_argument(argument)
        names[graphql_name] = argument.python_name
        if converted is not _same:
            converts[graphql_name] = (argument.python_name, converted)
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    info_class = config.info_class

    def lean(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        arguments = {names[name]: value for name, value in kwargs.items()}
        for name, (python_name, converted) in converts.items():
            value = kwargs.get(name)
            if value is not None:
                arguments[python_name] = converted(value)
        if info_name is not None:
            arguments[info_name] = info_class(_raw_info=info, _field=field)
        if takes_self:
            return function(source, **arguments)
        return function(**arguments)

    lean._is_default = False  # type: ignore[attr-defined]  # as strawberry marks resolvers
    return lean


class _Converters:
    """How strawberry's convert_argument converts a value of each type, worked out once."""

    def __init__(self, config: Any, scalar_registry: Any) -> None:
        self._config = config
        self._scalars = scalar_registry
        self._known: dict[int, tuple[object, Convert | None]] = {}

    def of(self, kind: object) -> Convert | None:
        """A converter for a value (not None) of `kind`; `_same` when the value passes as
        it is; None when only strawberry's own conversion will do."""
        known = self._known.get(id(kind))
        if known is None or known[0] is not kind:
            # An input type may contain itself (a rule of rules): while its converter is
            # being worked out it has none, so it and what contains it are left to
            # strawberry's own conversion instead of recursing without end.
            self._known[id(kind)] = (kind, None)
            known = self._known[id(kind)] = (kind, self._make(kind))
        return known[1]

    def _make(self, kind: object) -> Convert | None:
        if type(kind) is StrawberryOptional:  # not a subclass: Maybe wraps its value in Some
            return self.of(kind.of_type)
        if isinstance(kind, StrawberryOptional | LazyType) or kind is GlobalID:
            return None
        if isinstance(kind, StrawberryList):
            return self._list(kind.of_type)
        if is_scalar(kind, self._scalars) or isinstance(kind, StrawberryEnumDefinition):
            return _same
        if has_enum_definition(kind):
            return _same  # graphql-core's enum already gives the Python member
        if has_object_definition(kind):
            return self._input(kind)
        return None

    def _list(self, item: object) -> Convert | None:
        convert_item = self.of(item)
        if convert_item is None:
            return None
        if convert_item is _same:
            return list  # strawberry copies a list of leaves: its default is shared

        def convert_items(value: Any) -> list[Any]:
            return [None if x is None else convert_item(x) for x in value]

        return convert_items

    def _input(self, kind: Any) -> Convert | None:
        definition = kind.__strawberry_definition__
        if not definition.is_input or definition.from_input is not None:
            return None
        fields = []
        for input_field in definition.fields:
            converted = self.of(input_field.resolve_type(type_definition=definition))
            if converted is None:
                return None
            graphql_name = self._config.name_converter.from_field(input_field)
            fields.append((graphql_name, input_field.python_name, converted))
        implicit = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is MISSING and f.default_factory is MISSING
        }

        def convert_input(value: Any) -> Any:
            given = dict(implicit)
            for graphql_name, python_name, converted in fields:
                if graphql_name in value:
                    x = value[graphql_name]
                    given[python_name] = x if x is None or converted is _same else converted(x)
            return kind(**given)

        return convert_input
