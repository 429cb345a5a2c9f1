"""graphql-core's executor with a short way through plain attribute fields.

A page of 50 members is about 400 fields, nearly all of them scalars read straight off an
object (`name`, `status`, `points`). For each, graphql-core builds a resolve info, calls the
field's resolver, checks whether the result is awaitable and walks the value completion
chain (non-null, list, leaf) before serializing: most of a page's CPU, and none of it
needed when the value is already there.

For a field whose resolver is strawberry's own attribute read (a field without a resolver,
extensions or permissions, which strawberry marks `_is_default` and which ignores its info)
and whose type is a scalar or an enum, this reads the attribute and serializes it directly.
Whatever is not that plain case goes the usual way: a null (the executor owns the null and
non-null error rules), an awaitable, a value the scalar refuses, middleware, lists and
objects. The usual way calls the same resolver again on the same object, so its answer, and
any error, is exactly what it would have been.

An object whose selected fields are all such leaves (a page's node) is answered in one loop.
A non-null object field read the same plain way (an edge's `node`) goes straight to its
sub-selection once strawberry's type check passes, without a resolve info and the value
completion chain: for a non-null field the usual way adds nothing to an error raised below
it (it is already located, and passed up as is), unless error propagation is switched off
for the operation, when this short way is not taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_LEAF = (GraphQLScalarType, GraphQLEnumType)
# How the short way reads and serializes one field: strawberry's default resolver, the
# attribute's name and the scalar's serializer. Worked out once per field of the schema
# (fields are not hashable: keyed by id, the field kept alive next to its plan).
Plan = tuple[Callable[[Any, str], Any], str, Callable[[Any], Any]]
_PLANS: dict[int, tuple[GraphQLField, Plan | None]] = {}
# The same for a non-null object field: the default resolver, the attribute, the object type.
ObjectPlan = tuple[Callable[[Any, str], Any], str, GraphQLObjectType]
_OBJECT_PLANS: dict[int, tuple[GraphQLField, ObjectPlan | None]] = {}


def _attribute(field_def: GraphQLField) -> tuple[Callable[[Any, str], Any], str] | None:
    """Strawberry's default resolver and the attribute's Python name, for a field whose
    resolver is strawberry's plain attribute read (_get_basic_result in
    strawberry/schema/schema_converter.py); else None."""
    resolve = field_def.resolve
    if resolve is None or not getattr(resolve, "_is_default", False):
        return None
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    read = getattr(field, "default_resolver", None)
    name = getattr(field, "python_name", None)
    if read is None or not isinstance(name, str) or getattr(field, "base_resolver", None):
        return None
    return read, name


def _object_plan_of(field_def: GraphQLField) -> ObjectPlan | None:
    known = _OBJECT_PLANS.get(id(field_def))
    if known is None or known[0] is not field_def:
        plan = None
        kind = field_def.type
        attribute = _attribute(field_def)
        if (
            attribute is not None
            and isinstance(kind, GraphQLNonNull)
            and isinstance(kind.of_type, GraphQLObjectType)
        ):
            plan = (attribute[0], attribute[1], kind.of_type)
        known = _OBJECT_PLANS[id(field_def)] = (field_def, plan)
    return known[1]


def _plan(field_def: GraphQLField) -> Plan | None:
    """The short way for a plain attribute field of a scalar or enum type, else None."""
    leaf = field_def.type
    if isinstance(leaf, GraphQLNonNull):
        leaf = leaf.of_type
    if not isinstance(leaf, _LEAF):
        return None
    attribute = _attribute(field_def)
    if attribute is None:
        return None
    return attribute[0], attribute[1], leaf.serialize


def _plan_of(field_def: GraphQLField) -> Plan | None:
    known = _PLANS.get(id(field_def))
    if known is None or known[0] is not field_def:
        known = _PLANS[id(field_def)] = (field_def, _plan(field_def))
    return known[1]


def _read(plan: Plan, source: Any, is_awaitable: Callable[[Any], bool]) -> Any:
    """The field's serialized value, or None when the usual way must answer it (a null, an
    awaitable, a value the scalar refuses, an error while reading)."""
    read, name, serialize = plan
    try:
        value = read(source, name)
        if value is None or is_awaitable(value):
            return None
        serialized = serialize(value)
    except Exception:
        return None  # the usual way reads again and reports the error
    return None if serialized is Undefined else serialized


class LeafFastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """An object whose selected fields are all plain leaves (a page's node, an edge's
        pageInfo) is answered in one loop, without a path or an executor call per field;
        should any of them need the usual way, the whole object goes the usual way."""
        middleware = self.middleware_manager
        if middleware is None or not middleware.middlewares:
            fields = parent_type.fields
            plans = []
            for response_name, field_details_list in grouped_field_set.items():
                field_def = fields.get(field_details_list[0].node.name.value)
                plan = _plan_of(field_def) if field_def is not None else None
                if plan is None:
                    break
                plans.append((response_name, plan))
            else:
                is_awaitable = self.is_awaitable
                results: dict[str, Any] = {}
                for response_name, plan in plans:
                    value = _read(plan, source_value, is_awaitable)
                    if value is None:
                        break
                    results[response_name] = value
                else:
                    return results
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def _plain_object(self, plan: ObjectPlan, source: Any) -> Any:
        """The object a non-null object field reads, when it is there and of the field's
        type; else None, and the usual way answers (and reports what is wrong)."""
        read, name, object_type = plan
        try:
            value = read(source, name)
            if value is None or self.is_awaitable(value):
                return None
            is_type_of = object_type.is_type_of
            # strawberry's is_type_of ignores its info and never returns an awaitable
            if is_type_of is not None and is_type_of(value, cast(Any, None)) is not True:
                return None
        except Exception:
            return None
        return value

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        middleware = self.middleware_manager  # strawberry passes one, empty without resolve hooks
        if middleware is None or not middleware.middlewares:
            field_def = parent_type.fields.get(field_details_list[0].node.name.value)
            plan = _plan_of(field_def) if field_def is not None else None
            if plan is not None:
                value = _read(plan, source, self.is_awaitable)
                if value is not None:
                    return value
            elif field_def is not None and self.error_propagation:
                object_plan = _object_plan_of(field_def)
                if object_plan is not None:
                    found = self._plain_object(object_plan, source)
                    if found is not None:
                        return self.collect_and_execute_subfields(
                            object_plan[2], field_details_list, path, found, position_context
                        )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
