"""Queries answered by a plan compiled once from their document, graphql-core's executor
kept for everything a plan does not cover.

For a one-field status read (`me { points { available pending } }`) graphql-core's
executor was the largest cost left that the floor does not have: building an executor per
request, collecting the fields of every object anew, a resolve info, a path and the value
completion chain per field, an extra coroutine for every awaited value. A cached query
whose shape is simple is compiled, the first time it runs, into a plan: the grouped fields
of every object (collected by graphql-core's own `collect_fields`, so merging, aliases and
fragments are its), and for each field either a compiled plain subtree
(engine/plain_tree.py) or its resolver, called with graphql-core's argument values and
a resolve info like the executor's, whose value is completed by the plan below it.

A plan is speculative. It answers only when everything is as expected: every resolver
returns, no non-null field is null, every object is of its field's type, every value
completes. The give-up rule: what can be refused before anything runs (the variables, and
every field's arguments, worked out when the run starts) is, and then graphql-core runs the
whole query. On anything else (an error of any kind, a refused value, a null where none may
be) the plan stops, lets what it started finish, and hands graphql-core's executor the
outcome of every resolver it ran (engine/replay.py): the executor answers with its own data
and errors, completing those outcomes instead of calling the resolvers again, so no
resolver runs twice and no page or ledger is read twice. Where a failure nulls a whole
list, graphql-core cancels the items still running; the plan lets them finish instead (the
executor may need them, and their reads have started). Mutations take the same rule
(engine/mutation_plan.py).

A list of objects whose fields have resolvers (a page of members with their points) is
completed the items at once, as graphql-core's executor completes them: each item's
resolvers start before any of them waits, so a DataLoader (api/member_loaders.py) collects
the whole list's loads into one batch. When every resolver below the items is `BATCHED`
(each item's answer is read with the whole list's, the first time one of them is asked),
no item waits for another to start, and the list is completed a field at a time for all of
its items (a column), without a task each: a `BATCHED` field's batch resolver answers the
field for the whole column in one call, where per item a resolver call, its resolve info
and the field's strawberry `Info` would be built for every item.

Not compiled: any directive in the operation (their effect varies with the variables),
introspection, interfaces and unions, fragment arguments, and lists of lists whose items
have resolvers (their values go the usual way).
"""

from __future__ import annotations

from asyncio import CancelledError, gather
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Path
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo

from engine.cancellation import cancelling, field_error
from engine.markers import BATCHED
from engine.plain_tree import (
    Complete,
    GiveUp,
    PlainTrees,
    attribute_read,
    has_directives,
    of_type,
    reader,
    strawberry_field,
)
from engine.plan_values import compile_arguments, compile_variables
from engine.replay import Ran, Replay

_NO_VARIABLES = VariableValues({}, {})

# In a strawberry field's metadata: its resolver answers an object of a list from a batch
# the list shares, read in full the first time any of its objects is asked. No object's
# answer waits for another object to be asked. The value is the field's batch resolver,
# `(objects, context, arguments) -> values`: the field's value for each of the objects (a
# list of the same length holding the values, never awaitables of them, or an awaitable of
# such a list), or None when the objects share no batch (their resolver is then called for
# each). `arguments` are the field's, by their GraphQL names, coerced.
BatchResolver = Callable[[list[Any], Any, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Step:
    """One field of an object in a plan: a plain subtree, or a resolver whose value is
    completed by `complete` (a plain value) or by `below` (an object's own steps)."""

    name: str
    plain: Complete | None = None
    field_def: GraphQLField | None = None
    nodes: tuple[FieldNode, ...] = ()
    parent_type: GraphQLObjectType | None = None
    non_null: bool = False
    complete: Complete | None = None
    object_type: GraphQLObjectType | None = None
    below: tuple[Step, ...] = ()
    # A list of `object_type`, each item completed by `below`; one after another when
    # nothing below waits for the other items (every resolver below is BATCHED).
    items: bool = False
    items_non_null: bool = False
    items_in_turn: bool = False
    # strawberry's attribute read (its default resolver, which ignores the resolve info):
    # the attribute is read without building a call.
    attribute: tuple[Callable[[Any, str], Any], str] | None = None
    # The field's arguments from the request's variables (engine/plan_values.py).
    arguments: Callable[[VariableValues], dict[str, Any]] | None = None
    # The field's batch resolver, when it is BATCHED.
    batch: BatchResolver | None = None
    # Whether a value (an item's, for a list) is an object of `object_type` (plain_tree.of_type).
    taken: Callable[[Any], bool] | None = None


@dataclass(frozen=True, slots=True)
class QueryPlan:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root_type: GraphQLObjectType
    steps: tuple[Step, ...]
    variables: Callable[[dict[str, Any]], VariableValues | list[GraphQLError]]
    # The arguments of every step whose resolver the plan may call, by the step's id: they
    # are worked out before any resolver runs.
    arguments: tuple[tuple[int, Callable[[VariableValues], dict[str, Any]]], ...] = ()


def compile_query(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> QueryPlan | None:
    """The plan of the query a request names, or None when it is not one a plan covers."""
    return compile_operation(schema, document, operation_name, OperationType.QUERY)


def compile_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    kind: OperationType,
) -> QueryPlan | None:
    """The plan of the operation a request names when it is of this kind and one a plan
    covers, else None."""
    operation = get_operation_ast(document, operation_name)
    root_type = schema.get_root_type(kind)
    if operation is None or operation.operation is not kind or root_type is None:
        return None
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if any(d.variable_definitions for d in definitions.values()):
        return None
    fragments = {name: FragmentDetails(d) for name, d in definitions.items()}
    if operation.directives or has_directives(operation.selection_set, fragments):
        return None
    trees = PlainTrees(schema, fragments, _NO_VARIABLES, operation, optimized_is_awaitable)
    compiler = _Compiler(schema, fragments, operation, trees)
    fields = collect_fields(schema, fragments, _NO_VARIABLES, root_type, operation)
    steps = compiler.steps(root_type, fields.grouped_field_set)
    if steps is None:
        return None
    variables = compile_variables(schema, tuple(operation.variable_definitions or ()))
    return QueryPlan(operation, definitions, root_type, steps, variables, _arguments(steps))


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        operation: OperationDefinitionNode,
        trees: PlainTrees,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._operation = operation
        self._trees = trees

    def steps(
        self, object_type: GraphQLObjectType, fields: GroupedFieldSet
    ) -> tuple[Step, ...] | None:
        steps = []
        for name, group in fields.items():
            step = self._step(name, object_type, group)
            if step is None:
                return None
            steps.append(step)
        return tuple(steps)

    def _step(
        self, name: str, parent_type: GraphQLObjectType, group: FieldDetailsList
    ) -> Step | None:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in group):
            return None
        plain = self._trees.field(parent_type, group)
        if plain is not None:
            return Step(name, plain=reader(plain))
        field_name = group[0].node.name.value
        field_def = parent_type.fields.get(field_name)
        if field_def is None or field_def.resolve is None or field_name.startswith("__"):
            return None
        kind: GraphQLOutputType = field_def.type
        non_null = isinstance(kind, GraphQLNonNull)
        inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
        resolved = Step(
            name,
            field_def=field_def,
            nodes=tuple(d.node for d in group),
            parent_type=parent_type,
            non_null=non_null,
            attribute=attribute_read(field_def),
            arguments=compile_arguments(field_def, group[0].node),
            batch=_batch_resolver(field_def),
        )
        if isinstance(inner, GraphQLObjectType):
            # an object whose selected fields are all plain: one compiled function renders it
            rendered = self._trees.value(inner, group)
            if rendered is not None:
                return replace(resolved, complete=rendered)
            below_fields = collect_subfields(
                self._schema, self._fragments, _NO_VARIABLES, self._operation, inner, group
            ).grouped_field_set
            below = self.steps(inner, below_fields)
            if below is None:
                return None
            return replace(resolved, object_type=inner, below=below, taken=of_type(inner, None))
        complete = self._trees.value(inner, group)
        if complete is not None:
            return replace(resolved, complete=complete)
        return self._items(resolved, inner, group) if isinstance(inner, GraphQLList) else None

    def _items(self, resolved: Step, kind: GraphQLList, group: FieldDetailsList) -> Step | None:
        """A list of objects whose fields are not all plain: each item completed by steps."""
        item = kind.of_type
        non_null = isinstance(item, GraphQLNonNull)
        if non_null:
            item = item.of_type
        if not isinstance(item, GraphQLObjectType):
            return None
        below_fields = collect_subfields(
            self._schema, self._fragments, _NO_VARIABLES, self._operation, item, group
        ).grouped_field_set
        below = self.steps(item, below_fields)
        if below is None:
            return None
        return replace(
            resolved,
            object_type=item,
            taken=of_type(item, None),
            below=below,
            items=True,
            items_non_null=non_null,
            items_in_turn=_batched(below),
        )


def _batched(steps: tuple[Step, ...]) -> bool:
    """Whether nothing below these steps waits for anything but a batch its list shares."""
    for step in steps:
        if step.plain is not None:
            continue
        if step.attribute is None and step.batch is None:
            return False
        if step.items and not step.items_in_turn:
            return False
        if not _batched(step.below):
            return False
    return True


def _arguments(
    steps: tuple[Step, ...],
) -> tuple[tuple[int, Callable[[VariableValues], dict[str, Any]]], ...]:
    """The arguments of the steps, at every depth, whose resolver the plan calls."""
    found: list[tuple[int, Callable[[VariableValues], dict[str, Any]]]] = []
    for step in steps:
        if step.arguments is not None:
            found.append((id(step), step.arguments))
        found.extend(_arguments(step.below))
    return tuple(found)


def _batch_resolver(field_def: GraphQLField) -> BatchResolver | None:
    metadata = getattr(strawberry_field(field_def), "metadata", None)
    batch = (metadata or {}).get(BATCHED)
    return batch if callable(batch) else None


async def run_plan(
    plan: QueryPlan,
    schema: GraphQLSchema,
    context: Any,
    variables: dict[str, Any] | None,
    operation_extensions: dict[str, Any] | None,
) -> dict[str, Any] | Replay | None:
    """The query's data; else, when the plan stopped after resolvers ran, what they gave
    for the executor to answer with (engine/replay.py); else None: nothing ran."""
    run = PlanRun.start(plan, schema, context, variables, operation_extensions)
    if run is None:
        return None  # graphql-core reports the refused variables or arguments
    try:
        data = await run.object(plan.steps, None, None)
        await run.settle()
    except Exception:  # any error at all: the executor answers it, errors and all
        return run.ran.replay()
    except CancelledError:
        if cancelling():
            raise  # the request's own: it ends here
        return run.ran.replay()  # a value cancelled under a field: the executor reports it
    return data


def _track(tracked: list[Awaitable[Any]], values: Sequence[Any]) -> None:
    tracked.extend(v for v in values if optimized_is_awaitable(v))


class PlanRun:
    def __init__(
        self,
        plan: QueryPlan,
        schema: GraphQLSchema,
        context: Any,
        variables: VariableValues,
        operation_extensions: dict[str, Any] | None,
        arguments: dict[int, dict[str, Any]],
    ) -> None:
        self._plan = plan
        self._schema = schema
        self._context = context
        self._variables = variables
        self._operation_extensions = operation_extensions
        self._tracked: list[Awaitable[Any]] = []
        # The list, not the run: a bound method here would make the run and its info
        # helpers a reference cycle, left with everything the request touched (its context,
        # request and variables) for the garbage collector's full collections, which stop
        # every request in flight (docs/performance.md, "The spread reads' tail").
        self._helpers = GraphQLResolveInfoHelpers(
            gather=_gather, track=partial(_track, self._tracked)
        )
        # Each step's arguments are the same for every object it is resolved on (its node
        # and the variables are): worked out once per run, not once per item of a page.
        self._arguments = arguments
        self.ran = Ran()

    @classmethod
    def start(
        cls,
        plan: QueryPlan,
        schema: GraphQLSchema,
        context: Any,
        variables: dict[str, Any] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> PlanRun | None:
        """A run with the operation's variables coerced and every field's arguments worked
        out, or None when any of them is refused: then no resolver has run."""
        coerced = plan.variables(variables or {})
        if not isinstance(coerced, VariableValues):
            return None
        try:
            arguments = {step: of(coerced) for step, of in plan.arguments}
        except Exception:  # graphql-core's argument values raise on a refused argument
            return None
        return cls(plan, schema, context, coerced, operation_extensions, arguments)

    async def settle(self) -> None:
        for awaitable in self._tracked:
            await awaitable

    async def object(
        self, steps: tuple[Step, ...], source: Any, path: Path | None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for step in steps:
            if step.plain is not None:
                data[step.name] = step.plain(source)
            else:
                data[step.name] = await self._resolve(step, source, path)
        return data

    async def _resolve(self, step: Step, source: Any, path: Path | None) -> Any:
        if step.attribute is not None:
            get, name = step.attribute
            assert step.parent_type is not None
            here = Path(path, step.name, step.parent_type.name)
            value = get(source, name)
            if optimized_is_awaitable(value):  # awaited once: the executor is handed it
                value = await self.awaited(value, here, source)
            return await self.completed(step, value, here)
        call = self.call(step, source, path)
        value = self.resolved(call)
        if optimized_is_awaitable(value):
            value = await self.awaited(value, call.path, source)
        return await self.complete(step, call, value)

    def resolved(self, call: Call) -> Any:
        """What the resolver gives: a value, recorded for the executor should the plan stop
        (engine/replay.py), or an awaitable, to be awaited by `awaited`."""
        try:
            value = call.resolve()
        except Exception as error:
            self.ran.error(call.path, call.source, error, False)
            raise
        if not optimized_is_awaitable(value):
            self.ran.value(call.path, call.source, value, False)
        return value

    async def awaited(self, value: Awaitable[Any], path: Path, source: Any) -> Any:
        """The value a resolver's awaitable gives, recorded as `resolved` records."""
        try:
            value = await value
        except Exception as error:
            self.ran.error(path, source, error, True)
            raise
        except CancelledError as cancelled:
            # as the executor's own wait (engine/execution.py): the request's own ends it,
            # any other is this field's error
            unexpected = field_error(cancelled)
            if not isinstance(unexpected, Exception):
                raise
            self.ran.error(path, source, unexpected, True)
            raise unexpected from None
        self.ran.value(path, source, value, True)
        return value

    def call(self, step: Step, source: Any, path: Path | None) -> Call:
        """The field's resolver with its arguments and resolve info, as the executor would
        call it (graphql-core's argument values: they raise on a refused argument)."""
        field_def, parent_type = step.field_def, step.parent_type
        assert field_def is not None and parent_type is not None and field_def.resolve
        node = step.nodes[0]
        arguments = self._arguments_of(step)
        here = Path(path, step.name, parent_type.name)
        info = _OperationContextAwareGraphQLResolveInfo(
            node.name.value,
            list(step.nodes),
            field_def.type,
            parent_type,
            here,
            self._schema,
            self._plan.fragments,
            None,
            self._plan.operation,
            self._variables.coerced,
            self._context,
            optimized_is_awaitable,
            None,
            self._helpers,
            self._operation_extensions,  # type: ignore[arg-type]  # None, as strawberry gives
        )
        return Call(field_def.resolve, source, info, arguments, here)

    def _arguments_of(self, step: Step) -> dict[str, Any]:
        return self._arguments[id(step)]

    async def complete(self, step: Step, call: Call, value: Any) -> Any:
        """The field's value completed by the plan; raises where the executor would report
        an error."""
        return await self.completed(step, value, call.path)

    async def completed(self, step: Step, value: Any, path: Path) -> Any:
        if value is None:
            if step.non_null:
                raise GiveUp
            return None
        if step.complete is not None:
            return step.complete(value)
        if step.items:
            return await self._items(step, value, path)
        assert step.taken is not None
        if not step.taken(value):
            raise GiveUp
        return await self.object(step.below, value, path)

    async def _items(self, step: Step, value: Any, path: Path) -> list[Any]:
        """The list's items completed at once, so that what each item's resolvers load
        is loaded together; raises where the executor would report an error."""
        if not isinstance(value, list | tuple):
            raise GiveUp
        _check_items(step, value)
        if step.items_in_turn:
            present = [item for item in value if item is not None]
            paths = _Paths(partial(_item_paths, path, value))
            return _with_nulls(value, await self._column(step.below, present, paths))
        completed = await _gather_all(
            [
                self.object(step.below, item, Path(path, index, None))
                for index, item in enumerate(value)
                if item is not None
            ]
        )
        return _with_nulls(value, completed)

    async def _column(
        self, steps: tuple[Step, ...], sources: list[Any], paths: _Paths
    ) -> list[dict[str, Any]]:
        """Objects of one type (those of a list, or below them) completed a field at a time
        for all of them. Only for steps below which nothing waits but for a batch the
        objects share (`Step.items_in_turn`)."""
        rows: list[dict[str, Any]] = [{} for _ in sources]
        # Every batch resolver is called before any of them is awaited: a page asking for
        # its members' points and tiers reads both batches side by side.
        batches: dict[int, Any] = {}
        try:
            for step in steps:
                if step.batch is not None and step.attribute is None:
                    batches[id(step)] = step.batch(sources, self._context, self._arguments_of(step))
            for step in steps:
                name = step.name
                if step.plain is not None:
                    plain = step.plain
                    for row, source in zip(rows, sources, strict=True):
                        row[name] = plain(source)
                    continue
                answered = batches.pop(id(step), None)
                values = await self._resolved_column(step, sources, paths, answered)
                assert step.parent_type is not None
                here = paths.field(name, step.parent_type.name)
                for row, value in zip(
                    rows, await self._completed_column(step, values, here), strict=True
                ):
                    row[name] = value
        finally:
            for left in batches.values():  # the plan gave up before awaiting these
                if isinstance(left, Coroutine):
                    left.close()
        return rows

    async def _resolved_column(
        self, step: Step, sources: list[Any], paths: _Paths, answered: Any
    ) -> list[Any]:
        """The field's value on each of the objects: what its batch resolver `answered`
        when the objects share a batch, else what its resolver answers on each, awaited
        side by side."""
        if step.attribute is not None:
            get, attribute = step.attribute
            assert step.parent_type is not None
            here = paths.field(step.name, step.parent_type.name)
            read = [get(source, attribute) for source in sources]
            return [
                await self.awaited(v, here[i], sources[i]) if optimized_is_awaitable(v) else v
                for i, v in enumerate(read)
            ]
        if step.batch is not None:
            if optimized_is_awaitable(answered):
                answered = await answered
            if answered is not None:
                # the values themselves, none of them awaitable
                if not isinstance(answered, list) or len(answered) != len(sources):
                    raise GiveUp
                assert step.parent_type is not None
                here = paths.field(step.name, step.parent_type.name)
                self.ran.column(here.all, sources, answered)
                return answered
        values: list[Any] = []
        failed: Exception | None = None
        for i, source in enumerate(sources):
            call = self.call(step, source, paths[i])
            try:
                value = self.resolved(call)
            except Exception as error:  # the others are called still: see _gather_all
                failed = failed or error
                value = None
            else:
                if optimized_is_awaitable(value):
                    value = self.awaited(value, call.path, source)
            values.append(value)
        pending = [v for v in values if isinstance(v, Coroutine)]
        if pending:
            # Side by side, as graphql-core awaits a list's items: objects that share no
            # batch may share a DataLoader, which reads only what was asked before it runs.
            found = iter(await _gather_all(pending))
            values = [next(found) if isinstance(v, Coroutine) else v for v in values]
        if failed is not None:
            raise failed
        return values

    async def _completed_column(self, step: Step, values: list[Any], paths: _Paths) -> list[Any]:
        """The field's values completed, all of the column's at once."""
        non_null = step.non_null
        if step.complete is not None:
            complete = step.complete
            completed: list[Any] = []
            for value in values:
                if value is None:
                    if non_null:
                        raise GiveUp
                    completed.append(None)
                else:
                    completed.append(complete(value))
            return completed
        kept = [i for i, value in enumerate(values) if value is not None]
        if non_null and len(kept) != len(values):
            raise GiveUp
        present = [values[i] for i in kept]
        if step.items:
            assert step.items_in_turn  # nothing below an in-turn list waits for more
            lists = cast(list[Sequence[Any]], present)
            for items in lists:
                if not isinstance(items, list | tuple):
                    raise GiveUp
                _check_items(step, items)
            flat = [item for items in lists for item in items if item is not None]
            rows = iter(
                await self._column(
                    step.below, flat, _Paths(partial(_items_paths, paths.only(kept), lists))
                )
            )
            answers: list[Any] = [[None if x is None else next(rows) for x in xs] for xs in lists]
        else:
            taken = step.taken
            assert taken is not None
            for value in present:
                if not taken(value):
                    raise GiveUp
            answers = await self._column(step.below, present, paths.only(kept))
        if len(kept) == len(values):
            return answers
        with_nulls: list[Any] = [None] * len(values)
        for i, answer in zip(kept, answers, strict=True):
            with_nulls[i] = answer
        return with_nulls


def _check_items(step: Step, items: Sequence[Any]) -> None:
    """Raises GiveUp unless every item is of the list's type, or null where it may be."""
    taken = step.taken
    assert taken is not None
    for item in items:
        if item is None:
            if step.items_non_null:
                raise GiveUp
        elif not taken(item):
            raise GiveUp


def _with_nulls(items: Sequence[Any], answers: list[Any]) -> list[Any]:
    """The answers of a list's items that are not null, with its nulls put back."""
    if len(answers) == len(items):
        return answers
    found = iter(answers)
    return [None if item is None else next(found) for item in items]


class _Paths:
    """The paths of a column's objects, made the first time a resolver is called with one:
    a column answered by plain reads and batch resolvers never needs them."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[], list[Path]]) -> None:
        self._make = make
        self._made: list[Path] | None = None

    def all(self) -> list[Path]:
        made = self._made
        if made is None:
            made = self._made = self._make()
        return made

    def __getitem__(self, index: int) -> Path:
        return self.all()[index]

    def field(self, name: str, type_name: str) -> _Paths:
        """The paths of a field of each of these objects."""
        return _Paths(partial(_field_paths, self, name, type_name))

    def only(self, kept: list[int]) -> _Paths:
        return _Paths(partial(_kept_paths, self, kept))


def _field_paths(objects: _Paths, name: str, type_name: str) -> list[Path]:
    return [Path(path, name, type_name) for path in objects.all()]


def _kept_paths(paths: _Paths, kept: list[int]) -> list[Path]:
    every = paths.all()
    return [every[i] for i in kept]


def _item_paths(path: Path, items: Sequence[Any]) -> list[Path]:
    return [Path(path, i, None) for i, item in enumerate(items) if item is not None]


def _items_paths(lists_paths: _Paths, lists: list[Sequence[Any]]) -> list[Path]:
    return [
        item_path
        for path, items in zip(lists_paths.all(), lists, strict=True)
        for item_path in _item_paths(path, items)
    ]


@dataclass(frozen=True, slots=True)
class Call:
    """A resolver about to be called, with what the executor would give it."""

    resolver: Any
    source: Any
    info: Any
    arguments: dict[str, Any]
    path: Path

    def resolve(self) -> Any:
        return self.resolver(self.source, self.info, **self.arguments)


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return [await v for v in values]


async def _gather_all(values: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """The values awaited side by side, each to its end even when another fails (its
    resolvers' outcomes are recorded for the executor, which then runs none of them again);
    raises the first failure."""
    if len(values) == 1:
        return [await values[0]]
    settled = await gather(*values, return_exceptions=True)
    for value in settled:
        if isinstance(value, BaseException):
            raise value
    return settled
