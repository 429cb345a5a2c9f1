"""The executor's short way through plain scalar fields answers exactly as graphql-core's
usual way: the same data and the same errors, nulls and refused values included."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry

from api.schema.execution import PlainTreeExecutionContext


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
class Thing:
    inner: Inner  # a plain non-null object field
    name: str
    nickname: str | None
    count: int
    colour: Colour
    at: datetime
    tags: list[str]
    broken_count: int  # given a value the Int scalar refuses
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
        name=f"thing {n}",
        nickname=None if n % 2 else f"t{n}",
        count=n,
        colour=Colour.RED if n % 2 else Colour.BLUE,
        at=datetime(2026, 1, n + 1, tzinfo=UTC),
        tags=[f"a{n}", f"b{n}"],
        broken_count="not a number",  # type: ignore[arg-type]
        missing=None,  # type: ignore[arg-type]
    )


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [_thing(n) for n in range(3)]

    @strawberry.field
    def one(self) -> Thing | None:
        return _thing(1)


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    usual = strawberry.Schema(query=Query)
    short = strawberry.Schema(query=Query, execution_context_class=PlainTreeExecutionContext)
    return usual, short


def _plain(result: Any) -> dict[str, Any]:
    return {
        "data": result.data,
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
