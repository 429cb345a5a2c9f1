"""Given requests at the edges of GraphQL (picking one of several operations, variables that
do not fit, limits, introspection, a field failing beside fields that succeed, merged and
aliased fields, null in the middle of data), when each kind of caller sends them to the
production app and to the same app with the engine off, then both answer the same: these
are where the engine must either answer exactly as graphql-core does or hand over before
any resolver runs. Privileged callers' requests also go to the plain reference schema (its
validation is the privileged schema's: field suggestions and introspection allowed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.differential.reference import Reference
from tests.differential.sides import AppSide, Side, same_everywhere
from tests.differential.world import CREDENTIALS, World

pytestmark = pytest.mark.differential

PRIVILEGED = ("secret", "operator", "agency")


@dataclass(frozen=True)
class Edge:
    query: str
    variables: Callable[[World], dict[str, Any]] = lambda w: {}
    operation_name: str | None = None
    # Refused before the schema runs by the HTTP layer alone (the view's 400s): the plain
    # reference, which has no HTTP layer, is not asked.
    http_only: bool = False


TWO_OPERATIONS = """
query Program { program { name slug } }
query Me { me { id points { available } } }
mutation Adjust { adjustPoints(input: { externalId: "carol", points: 1 }) { replayed } }
"""
DEEP = "{ me { " + "referredBy { " * 10 + "id" + " }" * 10 + " } }"
MANY_ALIASES = "{ " + " ".join(f"a{i}: program {{ name }}" for i in range(20)) + " }"

EDGES = {
    "pick the first of several": Edge(TWO_OPERATIONS, operation_name="Program"),
    "pick the second of several": Edge(TWO_OPERATIONS, operation_name="Me"),
    "pick none of several": Edge(TWO_OPERATIONS, http_only=True),
    "pick one that is not there": Edge(TWO_OPERATIONS, operation_name="Nope", http_only=True),
    "shorthand query": Edge("{ program { name } __typename }"),
    "syntax error": Edge("{ program { name }"),
    "unknown field": Edge("{ program { nam } }"),
    "too deep": Edge(DEEP),
    "too many aliases": Edge(MANY_ALIASES),
    "introspection": Edge('{ __schema { queryType { name } } __type(name: "Member") { name } }'),
    "a failing field beside others": Edge(
        "query Q($id: ID!) { program { name } member(id: $id) { id } me { id }"
        ' bad: member(id: "x") { id } }',
        lambda w: {"id": w.alice},
    ),
    "aliases of one field with other arguments": Edge(
        '{ a: member(externalId: "alice") { id points { available } }'
        ' b: member(externalId: "bob") { id } c: member(externalId: "nobody") { id } }'
    ),
    "the same field merged": Edge(
        '{ program { name } program { slug } member(externalId: "alice") { id }'
        ' member(externalId: "alice") { name points { available } } }'
    ),
    "fragments on an interface": Edge(
        "query Q($id: ID!) { node(id: $id) { __typename ... on Node { id }"
        " ... on Member { points { available pending } } ...M } }"
        " fragment M on Member { name tier { current { name } } }",
        lambda w: {"id": w.alice},
    ),
    "a missing variable": Edge("query Q($id: ID!) { member(id: $id) { id } }"),
    "an ID given as a number": Edge(
        "query Q($id: ID!) { member(id: $id) { id } }", lambda w: {"id": 5}
    ),
    "null for a non-null variable": Edge(
        "query Q($id: ID!) { member(id: $id) { id } }", lambda w: {"id": None}
    ),
    "a list for a scalar": Edge(
        "query Q($id: ID!) { member(id: $id) { id } }", lambda w: {"id": ["x"]}
    ),
    "a string for an Int": Edge(
        "query Q($n: Int) { members(first: $n) { nodes { id } } }", lambda w: {"n": "10"}
    ),
    "an Int out of range": Edge(
        "query Q($n: Int) { members(first: $n) { nodes { id } } }", lambda w: {"n": 2**31}
    ),
    "a fraction for an Int": Edge(
        "query Q($n: Int) { members(first: $n) { nodes { id } } }", lambda w: {"n": 3.5}
    ),
    "an unknown enum value": Edge(
        "query Q($s: [RedemptionStatus!]) { me { redemptions(status: $s) { nodes { id } } } }",
        lambda w: {"s": ["BOGUS"]},
    ),
    "one enum value for a list": Edge(
        "query Q($s: [RedemptionStatus!]) { me { redemptions(status: $s) { nodes { code } } } }",
        lambda w: {"s": "USED"},
    ),
    "an unknown input field": Edge(
        "query Q($f: MemberFilterInput) { members(filter: $f) { nodes { id } } }",
        lambda w: {"f": {"nope": 1}},
    ),
    "a NUL byte in a variable": Edge(
        "query Q($e: String!) { member(externalId: $e) { id } }", lambda w: {"e": "ali\x00ce"}
    ),
    "skip and include on variables": Edge(
        "query Q($yes: Boolean!, $no: Boolean!) { program { name @include(if: $no)"
        " slug @skip(if: $no) tiers @include(if: $yes) { name } } me @skip(if: $yes) { id } }",
        lambda w: {"yes": True, "no": False},
    ),
    "a page over the maximum, nested": Edge(
        "{ members(first: 100) { nodes { history(first: 100) { nodes { id } } } } }"
    ),
    "a cursor that is not ours": Edge(
        "query Q($id: ID!) { member(id: $id) {"
        ' history(first: 1, after: "bogus") { nodes { id } } } }',
        lambda w: {"id": w.alice},
    ),
}


@pytest.mark.parametrize("name", sorted(EDGES))
async def test_an_edge_request_answers_the_same_with_and_without_the_engine(
    name: str, fast: AppSide, stock: AppSide, reference: Reference, world: World
):
    # Given a request at an edge of GraphQL
    edge = EDGES[name]
    variables = edge.variables(world)

    for kind in CREDENTIALS:
        # When each kind of caller sends it to both apps (and, if privileged, the reference)
        sides: tuple[Side, ...] = (fast, stock)
        if kind in PRIVILEGED and not edge.http_only:
            sides = (fast, stock, reference)

        # Then each answers as the production app does
        await same_everywhere(
            sides, edge.query, variables, world.credential(kind), edge.operation_name
        )
