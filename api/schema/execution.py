"""graphql-core's executor, with plain subtrees answered by compiled functions.

How a plain subtree is compiled, and why its answer is graphql-core's, is in
api/schema/plain_tree.py. Here the executor asks for those functions: for all the fields of
an object at once (a page's connection: its edges and pageInfo in one call), else field by
field (the plain fields of an object that also has resolvers). Whatever is not plain, or
whatever a compiled function gives up on, goes graphql-core's usual way. Middleware (field
hooks of schema extensions) sees every field, so with any middleware nothing is compiled.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema.plain_tree import PlainTrees


class PlainTreeExecutionContext(StrawberryGraphQLCoreExecutionContext):
    _plain_trees: PlainTrees | None = None

    def _trees(self) -> PlainTrees | None:
        middleware = self.middleware_manager  # strawberry passes one, empty without field hooks
        if middleware is not None and middleware.middlewares:
            return None
        trees = self._plain_trees
        if trees is None:
            trees = self._plain_trees = PlainTrees(
                self.schema, self.fragments, self.variable_values, self.operation, self.is_awaitable
            )
        return trees

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        trees = self._trees()
        render = trees.render(parent_type, grouped_field_set) if trees is not None else None
        if render is not None:
            try:
                return render(source_value)
            except Exception:  # the usual way answers, errors and all
                pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        trees = self._trees()
        read = trees.read(parent_type, field_details_list) if trees is not None else None
        if read is not None:
            try:
                return read(source)
            except Exception:  # the usual way answers, errors and all
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
