"""Counting the calls of a schema's field resolvers by the path each was called at: a
resolver that runs twice in one request shows as a path counted twice."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLSchema

Calls = dict[tuple[str | int, ...], int]


def count_resolvers(schema: GraphQLSchema, monkeypatch: pytest.MonkeyPatch) -> Calls:
    """From now on, each call of a field's resolver counted by its path, in the dict
    returned. A counted field is no longer strawberry's attribute read, so the engine, whose
    plans and plain subtrees compiled from then on read attributes without a call, calls
    every field's resolver: every field is counted."""
    calls: Calls = {}
    for kind in schema.type_map.values():
        if not isinstance(kind, GraphQLObjectType) or kind.name.startswith("__"):
            continue
        for field_def in kind.fields.values():
            if field_def.resolve is not None:
                monkeypatch.setattr(field_def, "resolve", _counted(field_def.resolve, calls))
    return calls


def _counted(resolve: Any, calls: Calls) -> Any:
    def counted(source: Any, info: Any, **arguments: Any) -> Any:
        path = tuple(info.path.as_list())
        calls[path] = calls.get(path, 0) + 1
        return resolve(source, info, **arguments)

    return counted


def twice(calls: Calls) -> Calls:
    """The paths whose resolver ran more than once."""
    return {path: n for path, n in calls.items() if n > 1}
