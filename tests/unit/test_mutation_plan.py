"""A mutation plan (engine/mutation_plan.py) answers a mutation as graphql-core's executor
does, and runs it once: when the plan gives up before its resolver runs, the executor runs it
from the start; after, the executor completes the outcomes the resolvers already gave, the
root field's and its payload's, calling none of them again."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.execution.is_awaitable import optimized_is_awaitable

from engine.execution import PlainTreeExecutionContext, ReplayExecutionContext
from engine.lean_resolvers import install
from engine.mutation_plan import Replay, compile_mutation, run_mutation_plan
from tests.support.resolver_calls import count_resolvers, twice


@strawberry.type
class Problem:
    code: str
    message: str


@strawberry.type
class Entry:
    points: int

    @strawberry.field
    def label(self) -> str:
        return f"{self.points} points"

    @strawberry.field
    def must(self) -> str:
        return None  # type: ignore[return-value]  # a null in a non-null field


@strawberry.type
class Payload:
    entry: Entry | None
    total: int
    errors: list[Problem]


@strawberry.input
class AddInput:
    points: int
    note: str | None = None


class Ledger:
    """What the mutations did: each call of a resolver is one change."""

    def __init__(self) -> None:
        self.calls = 0
        self.total = 0


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add(self, info: strawberry.Info, input: AddInput) -> Payload:
        ledger: Ledger = info.context
        ledger.calls += 1
        if input.note == "boom":
            raise RuntimeError("the use case failed")
        if input.note == "nothing":
            return None  # type: ignore[return-value]  # a null payload in a non-null field
        ledger.total += input.points
        return Payload(entry=Entry(points=input.points), total=ledger.total, errors=[])

    @strawberry.mutation
    async def maybe_add(self, info: strawberry.Info, points: int) -> Payload | None:
        ledger: Ledger = info.context
        ledger.calls += 1
        if points < 0:
            raise ValueError("no negative points")
        ledger.total += points
        return Payload(entry=None, total=ledger.total, errors=[Problem(code="X", message="m")])


@strawberry.type
class Query:
    total: int = 0


def _schema() -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query, mutation=Mutation, execution_context_class=PlainTreeExecutionContext
    )
    install(schema)
    return schema


ADD = (
    "mutation Add($input: AddInput!) { add(input: $input) {"
    " entry { points label } total errors { code message } } }"
)
ANSWERED = [
    (ADD, {"input": {"points": 3}}),
    ("mutation { add(input: {points: 2}) { total a: total entry { label } } }", None),
    (
        "mutation M($p: Int!) { maybeAdd(points: $p) { entry { points } errors { code } } }",
        {"p": 4},
    ),
]
REPLAYED = [
    (ADD, {"input": {"points": 1, "note": "boom"}}),  # the resolver raises
    (ADD, {"input": {"points": 1, "note": "nothing"}}),  # a null payload where none may be
    ("mutation { add(input: {points: 2}) { total entry { must } } }", None),  # null below
    ("mutation M($p: Int!) { maybeAdd(points: $p) { total } }", {"p": -1}),  # raises, nullable
    # a payload field's resolver answered, then another one's value fails
    ("mutation { add(input: {points: 2}) { total entry { label must } } }", None),
]
REFUSED = [
    (ADD, {"input": {"points": "three"}}),  # a refused variable: nothing runs
    (ADD, {"input": {"points": 1, "extra": 1}}),
]
NOT_COMPILED = [
    "mutation { a: add(input: {points: 1}) { total } b: add(input: {points: 2}) { total } }",
    "mutation { add(input: {points: 1}) { total @include(if: true) } }",
    "{ total }",
]


def _answer(result: ExecutionResult) -> dict[str, Any]:
    return {
        "data": result.data,
        "errors": [(e.message, e.path) for e in result.errors or []],
    }


async def _executed(
    schema: strawberry.Schema, query: str, variables: Any, ledger: Ledger, **executor: Any
) -> dict[str, Any]:
    result = execute(
        schema._schema,
        parse(query),
        context_value=ledger,
        variable_values=variables,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        **(executor or {"executor_class": PlainTreeExecutionContext}),
    )
    if optimized_is_awaitable(result):
        result = await result  # type: ignore[misc]
    assert isinstance(result, ExecutionResult)
    return {**_answer(result), "calls": ledger.calls}


async def _usual(schema: strawberry.Schema, query: str, variables: Any) -> dict[str, Any]:
    return await _executed(schema, query, variables, Ledger())


async def _planned(
    schema: strawberry.Schema, query: str, variables: Any
) -> tuple[dict[str, Any], Replay | None]:
    """As engine/direct.py runs a cached mutation: by its plan, else by the executor
    with the outcome the plan leaves it (or from the start)."""
    ledger = Ledger()
    plan = compile_mutation(schema._schema, parse(query), None)
    assert plan is not None, "this mutation should compile"
    outcome = await run_mutation_plan(plan, schema._schema, ledger, variables, None)
    if isinstance(outcome, dict):
        return {"data": outcome, "errors": [], "calls": ledger.calls}, None
    if outcome is None:
        return await _executed(schema, query, variables, ledger), None
    replayed = await _executed(
        schema, query, variables, ledger, executor_class=ReplayExecutionContext, replay=outcome
    )
    return replayed, outcome


@pytest.mark.parametrize(("query", "variables"), ANSWERED)
async def test_a_plan_answers_as_the_executor_does(query, variables):
    # given a schema with lean resolvers and the plain-tree executor
    schema = _schema()

    # when the mutation runs by its plan, and through the executor alone
    planned, replay = await _planned(schema, query, variables)
    usual = await _usual(schema, query, variables)

    # then the plan answered by itself, with the executor's data, running the mutation once
    assert replay is None and planned["errors"] == []
    assert planned == usual
    assert planned["calls"] == 1


@pytest.mark.parametrize(("query", "variables"), REPLAYED)
async def test_after_the_resolver_ran_the_executor_completes_its_outcome(query, variables):
    # given a mutation whose resolver raises, or whose payload does not complete
    schema = _schema()

    # when it runs by its plan
    planned, replay = await _planned(schema, query, variables)

    # then the executor answered from the outcome, with its own data and errors, and the
    # mutation ran once
    assert isinstance(replay, Replay)
    assert planned == await _usual(schema, query, variables)
    assert planned["errors"], "the executor reports what the plan did not answer"
    assert planned["calls"] == 1


@pytest.mark.parametrize(("query", "variables"), REFUSED)
async def test_refused_variables_run_nothing_and_the_executor_reports_them(query, variables):
    schema = _schema()

    planned, replay = await _planned(schema, query, variables)

    assert replay is None
    assert planned == await _usual(schema, query, variables)
    assert planned["errors"] and planned["calls"] == 0


@pytest.mark.parametrize("query", NOT_COMPILED)
def test_mutations_a_plan_does_not_cover_are_not_compiled(query):
    schema = _schema()

    assert compile_mutation(schema._schema, parse(query), None) is None


# Each path, with what the plan does there: answers, hands over before running, or replays.
EVERY_PATH = [*ANSWERED, *REFUSED, *REPLAYED]


@pytest.mark.parametrize(("query", "variables"), EVERY_PATH)
async def test_no_resolver_runs_twice_on_any_path(query, variables, monkeypatch):
    # given the schema, the calls of its root mutation and payload resolvers counted by path
    schema = _schema()
    calls = count_resolvers(schema._schema, monkeypatch)

    # when the mutation runs as a cached one runs (by its plan, then the executor)
    planned, _ = await _planned(schema, query, variables)

    # then the root mutation's resolver ran at most once, and so did each payload field's
    root = parse(query).definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    assert calls.get((root.name.value,), 0) == planned["calls"] <= 1
    assert twice(calls) == {}


async def test_a_payload_field_that_fails_after_another_ran_is_not_run_again(monkeypatch):
    # given the schema, its resolvers counted by path
    schema = _schema()
    calls = count_resolvers(schema._schema, monkeypatch)

    # when the mutation's payload answers a label, then a null where none may be
    query = "mutation { add(input: {points: 2}) { total entry { label must } } }"
    planned, replay = await _planned(schema, query, None)

    # then the executor completed the outcomes (the entry nulled, with the error at its
    # path), and the mutation, the label and the failing field each ran once
    assert isinstance(replay, Replay)
    assert planned == await _usual(_schema(), query, None)
    assert planned["data"] == {"add": {"total": 2, "entry": None}}
    ran = ("add",), ("add", "entry", "label"), ("add", "entry", "must")
    assert [calls.get(path) for path in ran] == [1, 1, 1]
    assert twice(calls) == {}
