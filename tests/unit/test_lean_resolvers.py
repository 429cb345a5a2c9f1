"""Resolvers called without strawberry's per-call wrapping (api/schema/lean_resolvers.py)
answer exactly as strawberry's own: the same data and errors, arguments renamed, defaults
and nulls kept, info given; fields that need strawberry's conversion keep its resolver."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission

from api.schema.lean_resolvers import install


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "happy"


@strawberry.input
class Filter:
    word: str


class Nobody(BasePermission):
    message = "Nobody may."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Box:
    label: str

    @strawberry.field
    def shout(self, times: int = 1, suffix: str | None = None) -> str:
        return (self.label.upper() + (suffix or "")) * times

    @strawberry.field
    async def later(self, info: strawberry.Info, given_name: str | None = None) -> str:
        return f"{info.field_name}:{given_name}:{self.label}"

    @strawberry.field
    def broken(self, flag: bool = False) -> str | None:
        raise ValueError(f"broken with {flag}")


@strawberry.type
class Query:
    @strawberry.field
    def box(self, id: strawberry.ID, ratio: float = 0.5) -> Box:
        return Box(label=f"{id}/{ratio}")

    @strawberry.field
    def boxes(self, labels: list[str]) -> list[Box]:
        return [Box(label=x) for x in labels]

    @strawberry.field
    def mood(self, mood: Mood) -> str:
        return mood.value

    @strawberry.field
    def found(self, filter: Filter) -> str:
        return filter.word

    @strawberry.field(permission_classes=[Nobody])
    def secret(self) -> str:
        return "hidden"

    @strawberry.field
    @staticmethod
    def plain() -> str:
        return "static"


def _plain(result: Any) -> dict[str, Any]:
    return {"data": result.data, "errors": [(e.message, e.path) for e in result.errors or []]}


QUERIES = [
    '{ box(id: "b1") { label shout later broken } }',
    '{ box(id: "b2", ratio: 2.0) { s: shout(times: 2, suffix: "!") later(givenName: "Ann") } }',
    '{ box(id: "b3") { shout(suffix: null) broken(flag: true) } }',
    '{ boxes(labels: ["a", "b"]) { shout(times: 3) } }',
    '{ mood(mood: HAPPY) found(filter: {word: "w"}) plain }',
    "{ secret }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_resolvers_answer_as_strawberry_does(query):
    # given the same schema with strawberry's resolvers and with lean ones
    usual = strawberry.Schema(query=Query)
    lean = strawberry.Schema(query=Query)
    install(lean)

    # when both execute the same document
    expected = _plain(await usual.execute(query))
    got = _plain(await lean.execute(query))

    # then the data and the errors are the same
    assert got == expected


def test_only_fields_strawberry_would_pass_through_get_a_lean_resolver():
    # given a schema with every kind of resolver
    schema = strawberry.Schema(query=Query)

    # when lean resolvers are installed
    changed = install(schema)

    # then plain-argument resolvers changed (a static method too: it takes no source),
    # and those needing conversion or permissions did not
    assert sorted(changed) == ["Box.broken", "Box.later", "Box.shout", "Query.box", "Query.plain"]
