"""Given every query and mutation of graphql/schema.graphql, when schemathesis generates
documents for it (hostile values of the custom scalars included) and each credential kind
sends them, then no answer is an HTTP 5xx or a masked INTERNAL error.

Refusals are answers: 4xx, validation errors, UNAUTHENTICATED, FORBIDDEN and typed user
errors all pass. Schemathesis generates; the documents go to a real API process."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from graphql import GraphQLScalarType
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests.fuzz.checks import assert_no_server_error
from tests.fuzz.inputs import SCHEMA_FILE, load_schema
from tests.fuzz.scalars import Seeds, scalar_values
from tests.fuzz.settings import fuzz_settings
from tests.fuzz.world import World
from tests.support.live_api import LiveApi


def literal(value: Any) -> Any:
    """A JSON value as the GraphQL literal schemathesis puts in the document."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, list):
        return nodes.List([literal(v) for v in value])
    if isinstance(value, dict):
        return nodes.Object([])  # an empty object: a wrong type for every scalar
    return nodes.String(value)


# Ids and strings of the fuzzed tenant's rows, filled in by `know_the_world` before the
# first document is drawn (the strategies below are built at that first draw).
KNOWN = Seeds(ids=[], strings=[])


def register_scalars() -> None:
    """Every scalar, GraphQL's own included, gets plain values and attacks (schemathesis
    alone sends neither NUL bytes nor lone surrogates); one without values in
    tests/fuzz/scalars.py stops collection with a message naming it."""
    for name, type_ in load_schema().type_map.items():
        if isinstance(type_, GraphQLScalarType) and not name.startswith("__"):
            values = scalar_values(name)
            drawn = st.deferred(
                lambda values=values: st.one_of(values.plain(KNOWN), values.attacks(KNOWN))
            )
            schemathesis.graphql.scalar(name, drawn.map(literal))


register_scalars()
schema = schemathesis.graphql.from_path(SCHEMA_FILE)
EXAMPLES = 10


@pytest.fixture(autouse=True)
def know_the_world(world: World) -> None:
    for known, now in ((KNOWN.ids, world.known_ids), (KNOWN.strings, world.known_strings)):
        assert isinstance(known, list)
        known[:] = now


def send(case: Any, world: World, live_api: LiveApi, credential: str) -> None:
    body = case.body if isinstance(case.body, dict) else {"query": case.body}
    response, sent = live_api.post(body, world.credentials[credential])
    assert_no_server_error(response, sent)


@schema.parametrize()
@fuzz_settings(default_examples=EXAMPLES)
def test_with_a_secret_key(case: Any, world: World, live_api: LiveApi) -> None:
    send(case, world, live_api, "secret")


@schema.parametrize()
@fuzz_settings(default_examples=EXAMPLES)
def test_with_a_publishable_key(case: Any, world: World, live_api: LiveApi) -> None:
    send(case, world, live_api, "publishable")


@schema.parametrize()
@fuzz_settings(default_examples=EXAMPLES)
def test_with_a_member_token(case: Any, world: World, live_api: LiveApi) -> None:
    send(case, world, live_api, "member")


@schema.parametrize()
@fuzz_settings(default_examples=EXAMPLES)
def test_with_an_operator_session(case: Any, world: World, live_api: LiveApi) -> None:
    send(case, world, live_api, "operator")
