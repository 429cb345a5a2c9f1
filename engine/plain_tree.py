"""Plain subtrees of an operation, compiled once into functions from objects to JSON.

A page of 50 members is about 400 fields, nearly all of them read straight off an object
(`edges`, `cursor`, `node`, `name`, `status`). For each, graphql-core builds a path and a
resolve info, calls the field's resolver, checks whether the result is awaitable and walks
the value completion chain (non-null, list, object, leaf) before serializing: most of a
page's CPU, and none of it needed when the values are already there.

A field is plain when strawberry resolves it by reading an attribute (no resolver,
extensions or permissions: strawberry marks those `_is_default`, and they ignore their info)
and its type is a scalar, an enum, an object type whose selected fields are all plain, or a
list of those. `__typename` is plain too. Such a field, and everything selected below it, is
compiled the first time it is met into one function that reads the attributes and builds
the response's dicts and lists; the function is kept for as long as the document's nodes are
(keyed by their identity), so every later request with the same document runs it at once.

Nothing about a plain tree's answer depends on the request's variables as long as no
directive appears in it (@skip and @include are the only ones whose effect varies), so a
tree with any directive below its root field is not compiled, nor is one with deferred or
fragment-argument fields, interfaces or unions.

The compiled function gives up (raises) on anything unusual: a null in a non-null field, an
awaitable, a value a scalar refuses or serializes to nothing, an object that is not of the
field's type, a list that is not a list or tuple, any error while reading. Then the executor
answers the same field the usual way, which reads the same attributes again: the answer, and
any error with its path, is exactly graphql-core's. Reading an attribute has no effect, so
reading it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from keyword import iskeyword
from typing import Any
from uuid import UUID

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    specified_scalar_types,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.pyutils import Undefined
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE as _CAST

Complete = Callable[[Any], Any]  # a value that is not None → its JSON; raises to give up
Render = Callable[[Any], dict[str, Any]]  # an object → the JSON of its selected fields
# GraphQL's own scalars and enums refuse anything but a value of theirs (an awaitable too);
# a custom scalar may turn anything into a string, so its values are checked first.
_STRICT_SCALARS = frozenset(specified_scalar_types.values())
_MAX_KEPT = 4096
# Types whose values are never awaitable: a custom scalar's value of one of them needs no check.
# strawberry's Date, DateTime and Time serialize by calling the value's isoformat.
_ISO_TYPES = frozenset({datetime, date, time})
_NEVER_AWAITABLE = frozenset({str, int, float, bool, datetime, date, time, Decimal, UUID})
# Values these scalars serialize to themselves (graphql-core's serialize_string, _id and
# _boolean return a str or bool given as is, serialize_int an int within 32 bits): the
# common case skips the call. An int is checked against Int's range first.
_SERIALIZED_AS_THEY_ARE: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}


class GiveUp(Exception):
    """A value the compiled function does not answer; the executor's usual way will."""


@dataclass(frozen=True, slots=True)
class Plain:
    """How one plain field is read: a constant (`__typename`), or an attribute whose value,
    unless None, is completed (`same`: the type of values its scalar answers as they are)."""

    constant: str | None = None
    get: Callable[[Any, str], Any] | None = None
    attr: str = ""
    non_null: bool = False
    complete: Complete | None = None
    same: type | None = None


def reader(plain: Plain) -> Complete:
    """One plain field as a function of its object."""
    if plain.constant is not None:
        constant = plain.constant
        return lambda _source: constant
    get, attr, complete = plain.get, plain.attr, plain.complete
    assert get is not None and complete is not None
    if plain.non_null:

        def read_non_null(source: Any) -> Any:
            value = get(source, attr)
            if value is None:
                raise GiveUp
            return complete(value)

        return read_non_null

    def read_nullable(source: Any) -> Any:
        value = get(source, attr)
        return None if value is None else complete(value)

    return read_nullable


def _renderer(type_name: str, entries: list[tuple[str, Plain]]) -> Render:
    """All the plain fields of an object as one function, generated the way dataclasses
    generates __init__: a statement or two per field, with no call for an attribute read
    or a string answered as it is. Only names the schema's Python code chose (attribute
    names that are identifiers) become source text; the response names and everything else
    are passed in as values."""
    scope: dict[str, Any] = {"GiveUp": GiveUp}
    lines = ["def render(source):"]
    for i, (response_name, plain) in enumerate(entries):
        scope[f"n{i}"] = response_name
        if plain.constant is not None:
            scope[f"v{i}"] = plain.constant
            continue
        if plain.get is getattr and plain.attr.isidentifier() and not iskeyword(plain.attr):
            lines.append(f"    v{i} = source.{plain.attr}")
        else:
            scope[f"g{i}"], scope[f"a{i}"] = plain.get, plain.attr
            lines.append(f"    v{i} = g{i}(source, a{i})")
        scope[f"c{i}"] = plain.complete
        if plain.non_null:
            lines.append(f"    if v{i} is None: raise GiveUp")
        if plain.same is int:
            test = f"(type(v{i}) is not int or not {GRAPHQL_MIN_INT} <= v{i} <= {GRAPHQL_MAX_INT})"
        elif plain.same is not None:
            scope[f"t{i}"] = plain.same
            test = f"type(v{i}) is not t{i}"
        else:
            test = ""
        if not plain.non_null:
            test = f"v{i} is not None and {test}" if test else f"v{i} is not None"
        lines.append(f"    if {test}: v{i} = c{i}(v{i})" if test else f"    v{i} = c{i}(v{i})")
    pairs = ", ".join(f"n{i}: v{i}" for i in range(len(entries)))
    lines.append(f"    return {{{pairs}}}")
    exec("\n".join(lines), scope)
    render: Render = scope["render"]
    render.__qualname__ = f"render_{type_name}"
    return render


class PlainTrees:
    """The compiled functions of one executor: those it met before, and new ones."""

    def __init__(
        self,
        schema: Any,
        fragments: dict[str, FragmentDetails],
        variable_values: Any,
        operation: Any,
        is_awaitable: Callable[[Any], bool],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variable_values = variable_values
        self._operation = operation
        self._is_awaitable = is_awaitable

    def render(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Render | None:
        """The function answering all of `fields` of an object, when they are all plain."""
        nodes = tuple(details.node for group in fields.values() for details in group)
        key = (id(parent_type), *map(id, nodes))
        kept = _KEPT.get(key)
        if kept is None:
            kept = _keep(key, (parent_type, nodes, self._object(parent_type, fields)))
        return kept[2]

    def read(self, parent_type: GraphQLObjectType, group: FieldDetailsList) -> Complete | None:
        """The function answering one field of an object, when it is plain."""
        nodes = tuple(details.node for details in group)
        key = ("field", id(parent_type), *map(id, nodes))
        kept = _KEPT.get(key)
        if kept is None:
            plain = self.field(parent_type, group)
            kept = _keep(key, (parent_type, nodes, plain and reader(plain)))
        return kept[2]

    def _object(self, object_type: GraphQLObjectType, fields: GroupedFieldSet) -> Render | None:
        entries = []
        for response_name, group in fields.items():
            plain = self.field(object_type, group)
            if plain is None:
                return None
            entries.append((response_name, plain))
        return _renderer(object_type.name, entries)

    def field(self, parent_type: GraphQLObjectType, group: FieldDetailsList) -> Plain | None:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in group):
            return None
        name = group[0].node.name.value
        if name == "__typename":
            return Plain(constant=parent_type.name)
        field_def = parent_type.fields.get(name)
        attribute = attribute_read(field_def) if field_def is not None else None
        if field_def is None or attribute is None:
            return None
        kind = field_def.type
        non_null = isinstance(kind, GraphQLNonNull)
        inner = kind.of_type if non_null else kind
        complete = self.value(inner, group)
        if complete is None:
            return None
        get, attr = attribute
        same = _SERIALIZED_AS_THEY_ARE.get(inner)
        return Plain(get=get, attr=attr, non_null=non_null, complete=complete, same=same)

    def value(self, kind: GraphQLOutputType, group: FieldDetailsList) -> Complete | None:
        """How a value of `kind` (not non-null itself) is completed, when it is plain."""
        if isinstance(kind, GraphQLEnumType):
            return _enum(kind)
        if isinstance(kind, GraphQLScalarType):
            return _leaf(kind, None if kind in _STRICT_SCALARS else self._is_awaitable)
        if isinstance(kind, GraphQLList):
            return self._list(kind.of_type, group)
        if isinstance(kind, GraphQLObjectType):
            return self._object_value(kind, group)
        return None  # interfaces and unions: the usual way resolves their type

    def _list(self, item: GraphQLOutputType, group: FieldDetailsList) -> Complete | None:
        non_null = isinstance(item, GraphQLNonNull)
        complete = self.value(item.of_type if non_null else item, group)  # type: ignore[union-attr]
        if complete is None:
            return None
        if non_null:

            def complete_non_null_items(value: Any) -> list[Any]:
                if not isinstance(value, list | tuple):
                    raise GiveUp
                return [_give_up() if v is None else complete(v) for v in value]

            return complete_non_null_items

        def complete_items(value: Any) -> list[Any]:
            if not isinstance(value, list | tuple):
                raise GiveUp
            return [None if v is None else complete(v) for v in value]

        return complete_items

    def _object_value(
        self, object_type: GraphQLObjectType, group: FieldDetailsList
    ) -> Complete | None:
        if any(
            d.node.selection_set is None or has_directives(d.node.selection_set, self._fragments)
            for d in group
        ):
            return None
        fields = collect_subfields(
            self._schema,
            self._fragments,
            self._variable_values,
            self._operation,
            object_type,
            group,
        ).grouped_field_set
        render = self._object(object_type, fields)
        if render is None:
            return None
        taken = of_type(object_type, self._is_awaitable)

        def complete(value: Any) -> dict[str, Any]:
            if not taken(value):
                raise GiveUp
            return render(value)

        return complete


def of_type(
    object_type: GraphQLObjectType, is_awaitable: Callable[[Any], bool] | None
) -> Callable[[Any], bool]:
    """Whether a value completes as an object of `object_type`, as graphql-core's executor
    takes it: the type's is_type_of answers True (strawberry's ignores its info and never
    returns an awaitable); a type without one takes anything but an awaitable (checked when
    `is_awaitable` is given: the value was not awaited). An object of exactly the type's
    own class is taken without asking (`_own_class`)."""
    own = _own_class(object_type)
    is_type_of = object_type.is_type_of

    def taken(value: Any) -> bool:
        if type(value) is own and _CAST not in value.__dict__:
            return True
        if is_type_of is None:
            return is_awaitable is None or not is_awaitable(value)
        return is_type_of(value, None) is True  # type: ignore[arg-type]

    return taken


def _own_class(object_type: GraphQLObjectType) -> type | None:
    """The class strawberry made this type from, when an object of exactly that class is
    known to be of this type without asking: strawberry's is_type_of answers True for it
    unless it was cast to another type (strawberry.cast, an attribute in the object's
    __dict__), and it is not awaitable. None for a class whose objects may hold no __dict__."""
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type) or hasattr(origin, "__await__") or not origin.__dictoffset__:
        return None
    return origin


def _leaf(
    kind: GraphQLScalarType | GraphQLEnumType, awaitable: Callable[[Any], bool] | None
) -> Complete:
    serialize = kind.serialize

    def complete(value: Any) -> Any:
        if awaitable is not None and type(value) not in _NEVER_AWAITABLE and awaitable(value):
            raise GiveUp
        serialized = serialize(value)
        if serialized is None or serialized is Undefined:
            raise GiveUp  # graphql-core reports these as errors
        return serialized

    if serialize is isoformat:  # strawberry's Date, DateTime and Time

        def complete_iso(value: Any) -> Any:
            return value.isoformat() if type(value) in _ISO_TYPES else complete(value)

        return complete_iso
    same = _SERIALIZED_AS_THEY_ARE.get(kind)
    if same is None:
        return complete
    if same is int:

        def complete_int(value: Any) -> Any:
            if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return complete(value)

        return complete_int

    def complete_plain(value: Any) -> Any:
        return value if type(value) is same else complete(value)

    return complete_plain


def _enum(kind: GraphQLEnumType) -> Complete:
    """An enum's members by the names strawberry gives them (CustomGraphQLEnumType answers
    a member of its Python enum by the first GraphQL value with the member's value); any
    other value goes through the enum's own serializer."""
    complete = _leaf(kind, None)
    python_enum = getattr(kind, "wrapped_cls", None)
    if not (isinstance(python_enum, type) and issubclass(python_enum, Enum)):
        return complete
    names: dict[Any, str] = {}
    for member in python_enum:
        for name, value in kind.values.items():
            if member.value == value.value:
                names.setdefault(member, name)
                break

    def complete_member(value: Any) -> Any:
        if type(value) is python_enum and value in names:
            return names[value]
        return complete(value)

    return complete_member


def _give_up() -> Any:
    raise GiveUp


def strawberry_field(field_def: GraphQLField | None) -> Any:
    """The strawberry field a graphql-core field was made from (None for others)."""
    if field_def is None:
        return None
    return (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def attribute_read(field_def: GraphQLField) -> tuple[Callable[[Any, str], Any], str] | None:
    """Strawberry's default resolver and the attribute's Python name, for a field whose
    resolver is strawberry's plain attribute read (_get_basic_result in
    strawberry/schema/schema_converter.py); else None."""
    resolve = field_def.resolve
    if resolve is None or not getattr(resolve, "_is_default", False):
        return None
    field = strawberry_field(field_def)
    get = getattr(field, "default_resolver", None)
    name = getattr(field, "python_name", None)
    if get is None or not isinstance(name, str) or getattr(field, "base_resolver", None):
        return None
    if getattr(field, "extensions", None) or getattr(field, "permission_classes", None):
        return None
    return get, name


def has_directives(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDetails],
    seen: set[str] | None = None,
) -> bool:
    """Whether any selection below, fragments included, carries a directive."""
    seen = set() if seen is None else seen
    for selection in selection_set.selections:
        if selection.directives:
            return True
        below: Iterable[SelectionSetNode | None]
        if isinstance(selection, FieldNode | InlineFragmentNode):
            below = (selection.selection_set,)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.definition.directives:
                return True
            below = (fragment.definition.selection_set,)
        else:  # pragma: no cover - no other selection kinds exist
            return True
        if any(s is not None and has_directives(s, fragments, seen) for s in below):
            return True
    return False


# Compiled functions by the identity of their parent type and field nodes, which each entry
# keeps alive (so no id is reused while it is here). Bounded: a process that meets too many
# documents starts over.
_KEPT: dict[tuple[Any, ...], tuple[GraphQLObjectType, tuple[FieldNode, ...], Any]] = {}


def _keep(key: tuple[Any, ...], entry: tuple[GraphQLObjectType, tuple[FieldNode, ...], Any]) -> Any:
    if len(_KEPT) >= _MAX_KEPT:
        _KEPT.clear()
    _KEPT[key] = entry
    return entry
