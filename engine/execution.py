"""graphql-core's executor, with plain subtrees answered by compiled functions.

How a plain subtree is compiled, and why its answer is graphql-core's, is in
engine/plain_tree.py. Here the executor asks for those functions: for all the fields of
an object at once (a page's connection: its edges and pageInfo in one call), else field by
field (the plain fields of an object that also has resolvers). Whatever is not plain, or
whatever a compiled function gives up on, goes graphql-core's usual way. Middleware (field
hooks of schema extensions) sees every field, so with any middleware nothing is compiled.

`ReplayExecutionContext` is the same executor handed what a plan's resolvers already gave
(engine/replay.py): at a recorded path, on the same source object, it completes the recorded
outcome where it would have called the resolver.
"""

from __future__ import annotations

from asyncio import CancelledError
from collections.abc import Awaitable
from typing import Any, TypeVar

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from engine.cancellation import field_error
from engine.plain_tree import PlainTrees
from engine.replay import Outcome, Replay

T = TypeVar("T")


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

    async def with_abort_signal(self, awaitable: Awaitable[T]) -> T:
        """Every awaited value of a resolver (or of a list's item) is awaited here: a
        CancelledError that is not the task's own becomes an error of the field at its path
        instead of ending the request (engine/cancellation.py)."""
        try:
            if self.abort_signal is None:  # as graphql-core does: no task, no frame more
                return await awaitable
            return await super().with_abort_signal(awaitable)
        except CancelledError as cancelled:
            raise field_error(cancelled) from None


class _Outcome:
    """A stand-in for graphql-core's middleware manager, the one hook its `execute_field`
    offers on the resolver it calls: asked once, for the field being replayed, it gives the
    recorded outcome and puts the usual manager back before anything below is resolved."""

    middlewares = ()  # no field hooks: plain subtrees are compiled as usual

    def __init__(self, executor: ReplayExecutionContext, outcome: Outcome, usual: Any) -> None:
        self._executor = executor
        self._outcome = outcome
        self._usual = usual

    def get_field_resolver(self, _resolve: Any) -> Any:
        self._executor.middleware_manager = self._usual
        return self._outcome.resolver


class ReplayExecutionContext(PlainTreeExecutionContext):
    """The executor, with the outcomes of the resolvers a plan already ran
    (engine/replay.py): at each of their paths, on the same source, the outcome is completed
    in place of calling the resolver again."""

    def __init__(self, *args: Any, replay: Replay, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._replay = replay

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        outcome = self._replay.take(path, source)
        if outcome is None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        usual = self.middleware_manager
        self.middleware_manager = _Outcome(self, outcome, usual)  # type: ignore[assignment]
        try:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        finally:
            self.middleware_manager = usual
