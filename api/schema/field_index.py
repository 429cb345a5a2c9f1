"""Where each field and type of the schema is defined: the index in api/schema/README.md.

Written by `loyalty schema` with the SDL and checked by `loyalty schema --check`, so the
index a reader follows to find `adjustPoints` or `Member.history` is never stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from strawberry import Schema
from strawberry.types.base import StrawberryObjectDefinition

ROOT = Path(__file__).resolve().parents[2]
README = Path(__file__).resolve().parent / "README.md"
_START = "<!-- field index: written by `loyalty schema` -->"
_END = "<!-- end of field index -->"


def _file_of(cls: type) -> str:
    module = sys.modules[cls.__module__].__file__
    assert module is not None
    return Path(module).resolve().relative_to(ROOT).as_posix()


def _root_rows(schema: Schema, definition: StrawberryObjectDefinition, kind: str) -> list[str]:
    rows = []
    for field in sorted(definition.fields, key=lambda f: f.python_name):
        origin = field.origin if isinstance(field.origin, type) else definition.origin
        name = schema.config.name_converter.get_graphql_name(field)
        rows.append(f"| {kind} | `{name}` | `{_file_of(origin)}` |")
    return rows


def index(schema: Schema) -> str:
    """The index as markdown: every root field, then every object, input and enum type."""
    rows = ["| kind | name | defined in |", "|---|---|---|"]
    query = schema.schema_converter.type_map["Query"].definition
    mutation = schema.schema_converter.type_map["Mutation"].definition
    assert isinstance(query, StrawberryObjectDefinition)
    assert isinstance(mutation, StrawberryObjectDefinition)
    rows += _root_rows(schema, query, "query")
    rows += _root_rows(schema, mutation, "mutation")
    types = []
    for name, concrete in schema.schema_converter.type_map.items():
        origin = getattr(concrete.definition, "origin", None)
        if name in {"Query", "Mutation"} or not isinstance(origin, type):
            continue
        if not origin.__module__.startswith("api."):
            continue  # strawberry's own (PageInfo of relay, …)
        kind = (
            "enum"
            if not isinstance(concrete.definition, StrawberryObjectDefinition)
            else ("input" if concrete.definition.is_input else "type")
        )
        types.append(f"| {kind} | `{name}` | `{_file_of(origin)}` |")
    return "\n".join([*rows, *sorted(types)]) + "\n"


def with_index(readme: str, table: str) -> str:
    """`readme` with the text between its index markers replaced by `table`."""
    head, found, rest = readme.partition(_START)
    if not found:
        raise ValueError(f"{README} has no {_START} marker")
    _, found, tail = rest.partition(_END)
    if not found:
        raise ValueError(f"{README} has no {_END} marker")
    return f"{head}{_START}\n{table}{_END}{tail}"
