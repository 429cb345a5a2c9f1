"""The executor's short way through plain subtrees (compiled functions, api/schema/
plain_tree.py) answers exactly as graphql-core's usual way: the same data and the same
errors, nulls, refused values, lists, directives and fragments included."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry

from engine.execution import PlainTreeExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Inner:
    label: str
    absent: str  # given None although non-null

    @strawberry.field
    async def echoed(self) -> str:
        return self.label


@strawberry.type
class Leaf:
    word: str
    maybe: int | None


@strawberry.type
class Thing:
    inner: Inner  # a plain non-null object field
    maybe_inner: Inner | None
    leaves: list[Leaf]  # a plain list of plain objects
    holes: list[Leaf | None]
    grid: list[list[int]]  # nested lists
    wrong_leaves: list[Leaf]  # given something that is not a list
    not_a_leaf: Leaf  # given an object of another type
    name: str
    nickname: str | None
    count: int
    colour: Colour
    at: datetime
    tags: list[str]
    broken_count: int  # given a value the Int scalar refuses
    edges_of_int: list[int]  # the largest and smallest 32-bit ints, and a bool
    too_big: int  # one past Int's range
    too_small: int | None  # one below it
    missing: str  # given None although non-null

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> int:
        return self.count + 1


def _thing(n: int) -> Thing:
    return Thing(
        inner=Inner(label=f"inner {n}", absent=None),  # type: ignore[arg-type]
        maybe_inner=None if n % 2 else Inner(label=f"maybe {n}", absent=None),  # type: ignore[arg-type]
        leaves=[Leaf(word=f"w{n}{i}", maybe=None if i % 2 else i) for i in range(3)],
        holes=[Leaf(word="x", maybe=1), None],
        grid=[[n, n + 1], [], [n * 2]],
        wrong_leaves="not a list",  # type: ignore[arg-type]
        not_a_leaf=Inner(label="an Inner", absent=None),  # type: ignore[arg-type]
        name=f"thing {n}",
        nickname=None if n % 2 else f"t{n}",
        count=n,
        colour=Colour.RED if n % 2 else Colour.BLUE,
        at=datetime(2026, 1, n + 1, tzinfo=UTC),
        tags=[f"a{n}", f"b{n}"],
        broken_count="not a number",  # type: ignore[arg-type]
        edges_of_int=[2**31 - 1, -(2**31), True],
        too_big=2**31,
        too_small=-(2**31) - 1,
        missing=None,  # type: ignore[arg-type]
    )


@strawberry.interface
class Animal:
    name: str


@strawberry.type
class Dog(Animal):
    barks: bool


@strawberry.type
class Cat(Animal):
    lives: int


@strawberry.type
class Kennel:
    dog: Dog  # a plain attribute holding an object whose type has an interface


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [_thing(n) for n in range(3)]

    @strawberry.field
    def one(self) -> Thing | None:
        return _thing(1)

    @strawberry.field
    def dogs(self) -> list[Dog]:
        return [Dog(name="rex", barks=True), Dog(name="fido", barks=False)]

    @strawberry.field
    def kennels(self) -> list[Kennel]:
        # the second Dog told to be a Cat: strawberry's is_type_of refuses it as a Dog
        odd = strawberry.cast(Cat, Dog(name="odd", barks=False))
        return [Kennel(dog=Dog(name="rex", barks=True)), Kennel(dog=odd)]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    usual = strawberry.Schema(query=Query)
    short = strawberry.Schema(query=Query, execution_context_class=PlainTreeExecutionContext)
    return usual, short


def _plain(result: Any) -> dict[str, Any]:
    return {
        # as JSON: in Python True == 1, in the answer `true` is not `1`
        "data": json.dumps(result.data),
        "errors": [(e.message, e.path) for e in result.errors or []],
    }


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "{ things { name nickname count colour at tags shout later __typename } }",
            id="plain-fields",
        ),
        pytest.param("{ things { name brokenCount } }", id="refused-by-the-scalar"),
        pytest.param("{ things { count edgesOfInt } }", id="ints-at-the-edges-of-32-bits"),
        pytest.param("{ dogs { name barks __typename } }", id="objects-of-their-types-class"),
        pytest.param("{ kennels { dog { name barks } } }", id="an-object-cast-to-another-type"),
        pytest.param("{ one { count tooBig } }", id="an-int-past-32-bits"),
        pytest.param("{ things { tooSmall } }", id="an-int-below-32-bits-nullable"),
        pytest.param("{ one { name missing } }", id="null-in-a-non-null-field"),
        pytest.param(
            "{ things { n: name ...F } } fragment F on Thing { colour c: count }",
            id="aliases-and-fragments",
        ),
        pytest.param("{ things { inner { label echoed __typename } } }", id="plain-object"),
        pytest.param("{ one { name inner { label absent } } }", id="null-below-a-plain-object"),
        pytest.param("{ things { inner { absent } } }", id="null-up-to-the-root"),
        pytest.param(
            "{ one { ...on Thing { inner { l: label } } inner { echoed } } }",
            id="plain-object-merged-from-fragments",
        ),
        pytest.param(
            "{ things { leaves { word maybe __typename } holes { word } grid"
            " maybeInner { label } } }",
            id="lists-and-nullable-objects",
        ),
        pytest.param("{ things { name wrongLeaves { word } } }", id="a-list-that-is-not-one"),
        pytest.param("{ one { notALeaf { word } } }", id="an-object-of-another-type"),
        pytest.param(
            "{ things { maybeInner { label absent } } }", id="null-below-a-nullable-object"
        ),
        pytest.param(
            "{ things { leaves { word ...L } } } fragment L on Leaf { m: maybe __typename }",
            id="fragments-below-a-list",
        ),
    ],
)
async def test_the_short_way_answers_as_the_usual_way(query):
    # given the same schema run by graphql-core's executor and by the short way
    usual, short = _schemas()

    # when both execute the same document
    expected = _plain(await usual.execute(query))
    got = _plain(await short.execute(query))

    # then the data and the errors are the same
    assert got == expected


@pytest.mark.parametrize("flag", [True, False])
async def test_directives_follow_each_request_s_variables(flag):
    # given a document whose plain subtree holds @include and @skip on a variable
    usual, short = _schemas()
    query = (
        "query Q($f: Boolean!) { things { name @include(if: $f) count"
        " leaves { word maybe @include(if: $f) }"
        " inner { ...I @skip(if: $f) } } } fragment I on Inner { label }"
    )

    # when the short way runs it with one value and then the other
    for value in (not flag, flag):
        got = _plain(await short.execute(query, variable_values={"f": value}))

        # then each answer is the usual way's for that value
        assert got == _plain(await usual.execute(query, variable_values={"f": value}))


class _CountingUsualWay(PlainTreeExecutionContext):
    usual_fields: list[str] = []

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        trees = self._trees()
        if trees is None or trees.read(parent_type, field_details_list) is None:
            self.usual_fields.append(field_details_list[0].node.name.value)
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


async def test_plain_subtrees_are_answered_without_the_usual_way():
    # given the short way, counting the fields it leaves to graphql-core's usual way
    schema = strawberry.Schema(query=Query, execution_context_class=_CountingUsualWay)
    _CountingUsualWay.usual_fields = []

    # when a list of plain objects is asked for, next to a resolver
    result = await schema.execute("{ things { name leaves { word } grid inner { label } shout } }")

    # then only the fields with resolvers went the usual way
    assert result.errors is None
    assert sorted(set(_CountingUsualWay.usual_fields)) == ["shout", "things"]
    assert result.data is not None and result.data["things"][2]["leaves"][1] == {"word": "w21"}


async def test_the_short_way_serializes_enums_and_scalars():
    # given the short way
    _, short = _schemas()

    # when plain scalar and enum fields are read
    result = await short.execute("{ one { name count colour at nickname } }")

    # then they are serialized as GraphQL values
    assert result.errors is None
    assert result.data == {
        "one": {
            "name": "thing 1",
            "count": 1,
            "colour": "RED",
            "at": "2026-01-02T00:00:00+00:00",
            "nickname": None,
        }
    }
