"""Resolvers called without strawberry's per-call wrapping where that wrapping does nothing.

For every field with a resolver, strawberry's converter wraps the resolver in a function
that, per call, builds the strawberry `Info`, converts each argument (`convert_arguments`:
an import, a name conversion and a walk over the argument's type), runs the field's
extensions and exception handlers, collects the positional arguments and, for an async
resolver, awaits it inside one more coroutine. For a field with no extensions or
permissions, no exception handlers in the schema, and only arguments of GraphQL's own
scalar types (which strawberry passes on as graphql-core coerced them), all of that comes
down to: rename the arguments to their Python names, build the `Info`, call the function.
That is what the lean resolver installed here does, for about a tenth of a page's CPU
(`member(id:) { history(first:) }`: `get_arguments` alone was 9 % of the server's time).

Anything else keeps strawberry's resolver: input objects, enums, lists, custom scalars, ids
decoded by strawberry, `root`/`parent` parameters, field extensions, permission classes.
An async resolver's coroutine is returned as it is; graphql-core awaits it, as it awaits
strawberry's own wrapper.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

# The Python types strawberry maps to GraphQL's own scalars, which convert_argument returns
# unchanged (strawberry.ID is a NewType of str and arrives as a str).
_PLAIN_ARGUMENT_TYPES: frozenset[object] = frozenset({str, int, float, bool, strawberry.ID})


def install(schema: Any) -> list[str]:
    """Puts lean resolvers on every field of `schema` (a strawberry Schema) that allows
    one; returns the fields changed, as `Type.field`."""
    if schema.schema_converter.exception_handlers:
        return []  # handlers may apply to any field: strawberry's wrapper finds them
    config = schema.config
    changed = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field_def in graphql_type.fields.items():
            lean = _lean(field_def, config)
            if lean is not None:
                field_def.resolve = lean
                changed.append(f"{graphql_type.name}.{name}")
    return changed


def _lean(field_def: GraphQLField, config: Any) -> Callable[..., Any] | None:
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(field, StrawberryField):
        return None
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
    names = {}
    for argument in field.arguments:
        if not _plain(argument.type) or argument.python_name is None:
            return None
        names[config.name_converter.from_argument(argument)] = argument.python_name
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    info_class = config.info_class

    def lean(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        arguments = {names[name]: value for name, value in kwargs.items()}
        if info_name is not None:
            arguments[info_name] = info_class(_raw_info=info, _field=field)
        if takes_self:
            return function(source, **arguments)
        return function(**arguments)

    lean._is_default = False  # type: ignore[attr-defined]  # as strawberry marks resolvers
    return lean


def _plain(kind: object) -> bool:
    """An argument strawberry passes on unchanged: one of GraphQL's own scalars, or null."""
    if type(kind) is StrawberryOptional:  # not a subclass: Maybe wraps its value in Some
        kind = kind.of_type
    return kind in _PLAIN_ARGUMENT_TYPES
