"""A query plan (engine/query_plan.py) answers a query exactly as graphql-core's
executor does, or not at all: whenever the executor would report an error, or the query is
not one a plan covers, the plan gives up and the executor answers, handed what the plan's
resolvers already gave (engine/replay.py), so that none of them runs twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.dataloader import DataLoader
from strawberry.execution.is_awaitable import optimized_is_awaitable

from engine.execution import PlainTreeExecutionContext, ReplayExecutionContext
from engine.lean_resolvers import install
from engine.query_plan import BATCHED, compile_query, run_plan
from engine.replay import Replay
from tests.support.resolver_calls import count_resolvers, twice

# The size of each column a batch resolver was called with.
SCORED: list[int] = []


def _scores(items: list[Item], context: Any, arguments: dict[str, Any]) -> Any:
    """`Item.score` for a whole column: None when an item asks to be answered alone, a
    wrong count for "short", an awaitable when an item is "slow", an error for "bad"."""
    SCORED.append(len(items))
    names = {x.name for x in items}
    if "lone" in names:
        return None
    if "bad" in names:
        raise ValueError("no score")
    scores = [len(x.name) * arguments["times"] for x in items]
    if "short" in names:
        return scores[1:]
    if "slow" in names:
        return _later(scores)
    return scores


async def _later(scores: list[int]) -> list[int]:
    return scores


# What the started batches of `rank` and `tally` did, in order.
EVENTS: list[str] = []


def _started(name: str, values: list[int]) -> Any:
    async def read() -> list[int]:
        EVENTS.append(f"{name} starts")
        await asyncio.sleep(0)
        EVENTS.append(f"{name} ends")
        return values

    return asyncio.ensure_future(read())  # started now, as a page's batch read is


def _no_batch(items: list[Item], context: Any, arguments: dict[str, Any]) -> None:
    return None  # these items share no batch: each item's resolver answers


def _ranks(items: list[Item], context: Any, arguments: dict[str, Any]) -> Any:
    return _started("rank", [len(x.name) + 1 for x in items])


def _tallies(items: list[Item], context: Any, arguments: dict[str, Any]) -> Any:
    return _started("tally", [len(x.name) + 2 for x in items])


@strawberry.type
class Tag:
    word: str


@strawberry.type
class Item:
    name: str
    tags: list[Tag]
    note: str | None

    @strawberry.field
    async def price(self, currency: str = "EUR") -> str:
        return f"{len(self.name)} {currency}"

    @strawberry.field
    def twin(self) -> Item | None:
        return None if self.name.endswith("!") else Item(name=self.name + "!", tags=[], note=None)

    @strawberry.field
    def must(self) -> Tag:
        return None  # type: ignore[return-value]  # a null in a non-null field

    @strawberry.field
    async def fails(self) -> str | None:
        raise ValueError("no")

    @strawberry.field(metadata={BATCHED: _no_batch})
    async def weight(self, info: strawberry.Info) -> int:
        loaded: int = await info.context["weights"].load(self.name)
        return loaded

    @strawberry.field(metadata={BATCHED: _ranks})
    def rank(self) -> int:
        return len(self.name) + 1

    @strawberry.field(metadata={BATCHED: _tallies})
    def tally(self) -> int:
        return len(self.name) + 2

    @strawberry.field(metadata={BATCHED: _scores})
    def score(self, times: int = 1) -> int:
        if self.name == "bad":
            raise ValueError("no score")
        return len(self.name) * times


@strawberry.type
class Box:
    item: Item
    spare: Item | None


@strawberry.type
class Shelf:
    """Objects with resolvers below, held in plain attributes (no resolver of their own)."""

    best: Item
    spare: Item | None
    rows: list[Item]
    missing: Item


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


@strawberry.type
class Query:
    @strawberry.field
    async def item(self, name: str) -> Item | None:
        if name == "none":
            return None
        return Item(name=name, tags=[Tag(word="a"), Tag(word="b")], note=None)

    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="x", tags=[], note="n")]

    @strawberry.field
    def some_items(self) -> list[Item | None]:
        return [Item(name="y", tags=[], note=None), None, Item(name="zz", tags=[], note=None)]

    @strawberry.field
    def rows(self) -> list[list[Item]]:
        return [[Item(name="x", tags=[], note="n")]]

    @strawberry.field
    def shelf(self) -> Shelf:
        items = [Item(name=n, tags=[], note=None) for n in ("ab", "abc")]
        return Shelf(best=items[0], spare=None, rows=items, missing=None)  # type: ignore[arg-type]

    @strawberry.field
    def boxes(self, names: list[str]) -> list[Box | None]:
        return [
            None if n == "-" else Box(item=Item(name=n, tags=[], note=None), spare=None)
            for n in names
        ]

    @strawberry.field
    def named(self) -> Named:
        return Person(name="p", age=3)


def _schema() -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=PlainTreeExecutionContext)
    install(schema)
    return schema


ANSWERED = [
    ('{ item(name: "box") { name note tags { word } price } }', None),
    (
        '{ item(name: "box") { a: price(currency: "USD") b: price twin { name twin { name } } } }',
        None,
    ),
    ('{ item(name: "none") { name } }', None),
    (
        "query Q($n: String!) { item(name: $n) { ...F } } fragment F on Item { name price }",
        {"n": "v"},
    ),
    ('{ __typename item(name: "t") { __typename name } }', None),
    ("{ items { name price twin { price } } }", None),  # a list whose items have resolvers
    ("{ someItems { name price } }", None),  # with nulls among them
    # objects and lists read from attributes, with resolvers below; arguments per field
    (
        '{ shelf { best { name price(currency: "USD") } spare { price } rows { name price } } }',
        None,
    ),
    ('{ shelf { rows { a: price(currency: "USD") b: price twin { c: price } } } }', None),
    # a BATCHED field below a list: answered for the column, by its batch resolver or not
    ('{ boxes(names: ["a", "bb", "-"]) { item { name score(times: 3) } spare { score } } }', None),
    ('{ boxes(names: ["slow", "ccc"]) { item { a: score b: score(times: 2) } } }', None),
    ('{ boxes(names: ["lone", "dd", "-"]) { item { score name } } }', None),
    ("{ items { score tags { word } } }", None),
    ('{ boxes(names: ["a", "-", "bb"]) { item { rank name tally } } }', None),
]
GIVEN_UP = [
    ('{ item(name: "box") { must { word } } }', None),  # null in a non-null field
    ('{ item(name: "box") { name fails } }', None),  # an error
    ("{ items { name fails } }", None),  # an error in an item of a list
    ('{ boxes(names: ["a", "bad"]) { item { score } } }', None),  # in a batch resolver
    ('{ boxes(names: ["lone", "bad"]) { item { score } } }', None),  # in an item's resolver
    ("{ shelf { missing { price } } }", None),  # a null attribute in a non-null field
    ("query Q($n: String!) { item(name: $n) { name } }", {"n": 3}),  # a refused variable
    # late, after other resolvers ran: beside and below fields the plan already answered
    ('{ a: item(name: "p") { price twin { price } } b: item(name: "q") { fails } }', None),
    ("{ items { price twin { price must { word } } } }", None),
    ("{ someItems { price fails } items { price } }", None),
]
# Stopped before any resolver ran: the executor runs the whole query.
REFUSED = [
    ("query Q($n: String!) { item(name: $n) { name } }", {"n": 3}),  # a refused variable
    ('query Q($c: String) { item(name: "p") { price(currency: $c) } }', {"c": 5}),
    # an argument refused deep below, worked out before the root field's resolver runs
    ('query Q($t: Int) { boxes(names: ["a"]) { item { score(times: $t) } } }', {"t": None}),
]
NOT_COMPILED = [
    '{ item(name: "box") { name @include(if: true) } }',  # a directive
    "{ rows { price } }",  # a list of lists whose items have resolvers
    "{ named { name } }",  # an interface
    "{ __schema { queryType { name } } }",  # introspection
]


def _usual(result: Any) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.message for e in result.errors or []]}


async def _plan(schema: strawberry.Schema, query: str, variables: Any) -> Any:
    plan = compile_query(schema._schema, parse(query), None)
    assert plan is not None, "this query should compile"
    return await run_plan(plan, schema._schema, None, variables, None)


@pytest.mark.parametrize(("query", "variables"), ANSWERED)
async def test_a_plan_answers_as_the_executor_does(query, variables):
    # given a schema with lean resolvers and the plain-tree executor
    schema = _schema()

    # when the query runs by its plan and through the executor
    planned = await _plan(schema, query, variables)
    usual = _usual(await schema.execute(query, variable_values=variables))

    # then the plan's data are the executor's, which reported no error
    assert usual["errors"] == []
    assert planned == usual["data"]


@pytest.mark.parametrize(("query", "variables"), GIVEN_UP)
async def test_a_plan_gives_up_where_the_executor_reports_an_error(query, variables):
    # given the same schema
    schema = _schema()

    # when a query the executor answers with an error runs by its plan
    planned = await _plan(schema, query, variables)
    usual = _usual(await schema.execute(query, variable_values=variables))

    # then the plan gave up, leaving the answer to the executor
    assert usual["errors"] != []
    assert not isinstance(planned, dict)


async def _planned_then_executed(
    schema: strawberry.Schema, query: str, variables: Any
) -> tuple[dict[str, Any], Replay | None]:
    """As engine/direct.py runs a cached query: by its plan, else by the executor with what
    the plan's resolvers gave; the answer and the record the plan left."""
    document = parse(query)
    plan = compile_query(schema._schema, document, None)
    assert plan is not None, "this query should compile"
    outcome = await run_plan(plan, schema._schema, None, variables, None)
    assert not isinstance(outcome, dict), "this query should not be answered by the plan"
    executor: dict[str, Any] = {"executor_class": PlainTreeExecutionContext}
    if outcome is not None:
        executor = {"executor_class": ReplayExecutionContext, "replay": outcome}
    result = execute(
        schema._schema,
        document,
        variable_values=variables,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        **executor,
    )
    if optimized_is_awaitable(result):
        result = await result  # type: ignore[misc]
    assert isinstance(result, ExecutionResult)
    errors = [(e.message, e.path) for e in result.errors or []]
    return {"data": result.data, "errors": errors}, outcome


@pytest.mark.parametrize(("query", "variables"), GIVEN_UP[:-4] + GIVEN_UP[-3:])
async def test_after_resolvers_ran_the_executor_answers_with_their_outcomes(
    query, variables, monkeypatch
):
    # given the schema, its resolvers counted by path, and the executor's own answer
    schema = _schema()
    result = await schema.execute(query, variable_values=variables)
    usual = {"data": result.data, "errors": [(e.message, e.path) for e in result.errors or []]}

    # when the query runs by its plan, which stops after some resolvers ran, and the
    # executor answers with what they gave
    calls = count_resolvers(schema._schema, monkeypatch)
    answered, replay = await _planned_then_executed(schema, query, variables)

    # then the answer is the executor's own, the plan did hand over outcomes, and no
    # resolver was called twice at any path
    assert answered == usual
    assert isinstance(replay, Replay)
    assert calls, "the resolvers are counted"
    assert twice(calls) == {}


@pytest.mark.parametrize(("query", "variables"), REFUSED)
async def test_a_refused_variable_or_argument_stops_the_plan_before_any_resolver_runs(
    query, variables, monkeypatch
):
    # given the schema, its resolvers counted by path
    schema = _schema()
    calls = count_resolvers(schema._schema, monkeypatch)

    # when a query with a refused variable or argument runs by its plan
    plan = compile_query(schema._schema, parse(query), None)
    assert plan is not None
    outcome = await run_plan(plan, schema._schema, None, variables, None)

    # then the plan stopped before calling any resolver, leaving the executor all of it
    assert outcome is None
    assert calls == {}


@pytest.mark.parametrize("query", NOT_COMPILED)
def test_queries_a_plan_does_not_cover_are_not_compiled(query):
    assert compile_query(_schema()._schema, parse(query), None) is None


async def test_a_batch_resolver_answers_a_column_in_one_call():
    # given a list of objects each holding an item with a BATCHED field
    schema = _schema()
    SCORED.clear()

    # when the query runs by its plan
    planned = await _plan(
        schema, '{ boxes(names: ["a", "-", "bb", "ccc"]) { item { score } } }', None
    )

    # then the field of the three items was answered by one call of its batch resolver
    assert SCORED == [3]
    assert planned == {
        "boxes": [{"item": {"score": 1}}, None, {"item": {"score": 2}}, {"item": {"score": 3}}]
    }


async def test_the_batches_of_a_column_are_read_side_by_side():
    # given a column with two BATCHED fields whose batch resolvers start a read each
    schema = _schema()
    EVENTS.clear()

    # when the query runs by its plan
    planned = await _plan(schema, '{ boxes(names: ["a", "bb"]) { item { rank tally } } }', None)

    # then the second read started before the first one ended
    assert EVENTS == ["rank starts", "tally starts", "rank ends", "tally ends"]
    assert planned == {
        "boxes": [{"item": {"rank": 2, "tally": 3}}, {"item": {"rank": 3, "tally": 4}}]
    }


async def test_items_that_share_no_batch_are_resolved_side_by_side():
    # given items whose BATCHED field finds no batch, and reads through a DataLoader
    schema = _schema()
    loads: list[list[str]] = []

    async def weigh(names: list[str]) -> list[int]:
        loads.append(list(names))
        return [10 * len(n) for n in names]

    query = '{ boxes(names: ["a", "-", "bb", "ccc"]) { item { name weight } } }'

    # when the query runs by its plan
    plan = compile_query(schema._schema, parse(query), None)
    assert plan is not None
    planned = await run_plan(plan, schema._schema, {"weights": DataLoader(weigh)}, None, None)

    # then every item's load was asked before any ran: one load for the three items
    assert loads == [["a", "bb", "ccc"]]
    usual = await schema.execute(query, context_value={"weights": DataLoader(weigh)})
    assert usual.errors is None
    assert planned == usual.data


async def test_a_plan_gives_up_when_a_batch_resolver_miscounts():
    # given a column whose batch resolver answers one value too few
    schema = _schema()
    query = '{ boxes(names: ["short", "ee"]) { item { score } } }'

    # when it runs by its plan and through the executor (which calls each item's resolver)
    planned = await _plan(schema, query, None)
    usual = _usual(await schema.execute(query))

    # then the plan gave up, and the executor answered
    assert not isinstance(planned, dict)
    assert usual == {
        "data": {"boxes": [{"item": {"score": 5}}, {"item": {"score": 2}}]},
        "errors": [],
    }


def test_mutations_are_never_compiled():
    assert compile_query(_schema()._schema, parse("mutation { nothing }"), None) is None
