"""Resolvers called without strawberry's per-call wrapping (engine/lean_resolvers.py)
answer exactly as strawberry's own: the same data and errors, arguments renamed, defaults
and nulls kept, info given; fields that need strawberry's conversion keep its resolver."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from engine.lean_resolvers import install


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "happy"


@strawberry.input
class Line:
    sku: str
    quantity: int = 1
    mood: Mood | None = None


@strawberry.input
class Filter:
    word: str
    note: str | None  # no default: strawberry makes it None when not given
    at: datetime | None = None
    lines: list[Line] = strawberry.field(default_factory=list)
    tags: list[str | None] | None = None


@strawberry.input
class Tree:
    """An input that contains itself, as a rule of rules does."""

    label: str
    children: list[Tree] | None = None


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
    def found(self, filter: Filter, many: list[Filter] | None = None) -> str:
        return repr((filter, many))

    @strawberry.field
    def tree(self, tree: Tree) -> str:
        return repr(tree)

    @strawberry.field
    def maybe(self, word: strawberry.Maybe[str]) -> str:
        return repr(word)

    @strawberry.field
    def global_id(self, id: relay.GlobalID) -> str:
        return repr(id)

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
    '{ found(filter: {word: "w", note: null, at: "2026-01-02T03:04:05+00:00",'
    ' lines: [{sku: "a"}, {sku: "b", quantity: 3, mood: HAPPY}], tags: ["x", null]},'
    ' many: [{word: "m", note: "n"}]) }',
    "query Q($f: Filter!) { found(filter: $f) }",
    '{ maybe(word: "x") globalId(id: "Qm94OjE=") }',
    "{ secret }",
    '{ tree(tree: {label: "a", children: [{label: "b", children: [{label: "c"}]}]}) }',
]


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_resolvers_answer_as_strawberry_does(query):
    # given the same schema with strawberry's resolvers and with lean ones
    usual = strawberry.Schema(query=Query)
    lean = strawberry.Schema(query=Query)
    install(lean)

    # when both execute the same document
    variables = {"f": {"word": "v", "note": "n", "lines": [{"sku": "s", "mood": "HAPPY"}]}}
    expected = _plain(await usual.execute(query, variable_values=variables))
    got = _plain(await lean.execute(query, variable_values=variables))

    # then the data and the errors are the same
    assert got == expected


def test_only_fields_strawberry_would_pass_through_get_a_lean_resolver():
    # given a schema with every kind of resolver
    schema = strawberry.Schema(query=Query)

    # when lean resolvers are installed
    changed = install(schema)

    # then resolvers whose arguments strawberry converts plainly changed (a static method
    # too: it takes no source), and Maybe, GlobalID, permissions and an input that
    # contains itself kept strawberry's
    assert sorted(changed) == [
        "Box.broken",
        "Box.later",
        "Box.shout",
        "Query.box",
        "Query.boxes",
        "Query.found",
        "Query.mood",
        "Query.plain",
    ]
