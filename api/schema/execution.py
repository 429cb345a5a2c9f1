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
any error, is exactly what it would have been."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_LEAF = (GraphQLScalarType, GraphQLEnumType)


class LeafFastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        field_def = parent_type.fields.get(field_details_list[0].node.name.value)
        middleware = self.middleware_manager  # strawberry passes one, empty without resolve hooks
        if field_def is not None and (middleware is None or not middleware.middlewares):
            resolve = field_def.resolve
            if resolve is not None and getattr(resolve, "_is_default", False):
                leaf = field_def.type
                if isinstance(leaf, GraphQLNonNull):
                    leaf = leaf.of_type
                if isinstance(leaf, _LEAF):
                    value = resolve(source, None)
                    if value is not None and not self.is_awaitable(value):
                        try:
                            serialized = leaf.serialize(value)
                        except Exception:
                            serialized = Undefined
                        if serialized is not None and serialized is not Undefined:
                            return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
