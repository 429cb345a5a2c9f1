"""The private names of strawberry and graphql-core the engine relies on are all there in the
pinned versions, and the check names every one that goes missing or changes shape, with
the installed versions (engine/private_names.py)."""

from __future__ import annotations

import ast
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import graphql
import pytest
import strawberry
import strawberry.schema.schema as strawberry_schema
from graphql.execution import collect_fields as graphql_collect_fields
from packaging.requirements import Requirement
from strawberry.execution import is_awaitable
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter

from engine.private_names import (
    PRIVATE_NAMES,
    PrivateNamesMoved,
    check_private_names,
    installed_versions,
    missing_private_names,
)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CONTEXT = strawberry_schema.StrawberryGraphQLCoreExecutionContext


def _pins() -> dict[str, Requirement]:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    found = (Requirement(d) for d in dependencies)
    return {r.name: r for r in found if r.name in ("strawberry-graphql", "graphql-core")}


def _moved() -> str:
    with pytest.raises(PrivateNamesMoved) as raised:
        check_private_names()
    return str(raised.value)


def test_the_installed_libraries_are_the_pinned_ones_and_have_every_name():
    # given the pins of pyproject.toml and the libraries installed
    pins = _pins()

    # when the installed versions are read and every private name is looked up
    installed = {name: version(name) for name in pins}
    problems = missing_private_names()

    # then both libraries are pinned to a range holding what is installed, and nothing moved
    assert set(pins) == {"strawberry-graphql", "graphql-core"}
    assert all(pins[name].specifier.contains(v) for name, v in installed.items()), pins
    assert all("<" in str(pin.specifier) for pin in pins.values()), "an upper bound each"
    assert problems == []
    check_private_names()


def test_every_name_says_who_uses_it_and_the_list_covers_the_signature_examples():
    # given the list of private names
    qualified = {name.qualified for name in PRIVATE_NAMES}

    # when it is searched for the names the engine is known to use in private ways
    expected = {
        "strawberry.schema.schema._OperationContextAwareGraphQLResolveInfo",
        "strawberry.schema.schema.Schema._process_errors",
        "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext.execute_field",
        "strawberry.execution.is_awaitable.optimized_is_awaitable",
        "graphql.execution.collect_fields.collect_fields",
        "graphql.execution.collect_fields.FieldDetailsList",
    }

    # then they are all listed, each with the module of the engine that uses it
    assert expected <= qualified
    assert all(name.used_by.startswith("engine/") for name in PRIVATE_NAMES)


@pytest.mark.parametrize(
    ("owner", "attribute", "named"),
    [
        (
            strawberry_schema,
            "_OperationContextAwareGraphQLResolveInfo",
            "strawberry.schema.schema._OperationContextAwareGraphQLResolveInfo",
        ),
        (
            BaseSchema,  # where Schema inherits it from
            "_process_errors",
            "strawberry.schema.schema.Schema._process_errors",
        ),
        (
            graphql_collect_fields,
            "collect_fields",
            "graphql.execution.collect_fields.collect_fields",
        ),
        (
            is_awaitable,
            "optimized_is_awaitable",
            "strawberry.execution.is_awaitable.optimized_is_awaitable",
        ),
        (
            GraphQLCoreConverter,
            "DEFINITION_BACKREF",
            "strawberry.schema.schema_converter.GraphQLCoreConverter.DEFINITION_BACKREF",
        ),
    ],
)
def test_a_removed_name_is_named_with_the_installed_versions(
    monkeypatch, owner: Any, attribute: str, named: str
):
    # given a library release without one of the names
    monkeypatch.delattr(owner, attribute)

    # when the names are checked
    message = _moved()

    # then the error names it, who uses it, and the versions installed
    assert named in message
    assert "used by engine/" in message
    assert installed_versions() in message


def test_a_reshaped_method_is_named_with_the_parameters_the_engine_passes(monkeypatch):
    # given an execute_field that lost its position_context parameter
    def execute_field(self, parent_type, source, field_details_list, path):  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setattr(CONTEXT, "execute_field", execute_field)

    # when the names are checked
    message = _moved()

    # then the error names the method and what the engine passes it
    assert "StrawberryGraphQLCoreExecutionContext.execute_field" in message
    assert "position_context" in message


def test_a_resolve_info_with_another_number_of_fields_is_named(monkeypatch):
    # given a resolve info that no longer carries the operation's extensions
    class Fewer(NamedTuple):
        field_name: str
        field_nodes: list[Any]

    monkeypatch.setattr(strawberry_schema, "_OperationContextAwareGraphQLResolveInfo", Fewer)

    # when the names are checked
    message = _moved()

    # then the error names the resolve info and the fields the engine builds it with
    assert "_OperationContextAwareGraphQLResolveInfo" in message
    assert "operation_extensions" in message


def test_every_moved_name_is_in_one_error(monkeypatch):
    # given two names gone at once, one of each library
    monkeypatch.delattr(is_awaitable, "optimized_is_awaitable")
    monkeypatch.delattr(graphql_collect_fields, "collect_subfields")

    # when the names are checked
    message = _moved()

    # then one error names both
    assert "optimized_is_awaitable" in message
    assert "collect_subfields" in message


def test_a_plain_field_no_longer_marked_by_strawberry_is_named(monkeypatch):
    # given a strawberry that no longer marks a plain field's resolver as its attribute read
    converter_of = GraphQLCoreConverter.from_resolver

    def unmarked(self: Any, field: Any) -> Any:
        resolver = converter_of(self, field)

        def unmarked_resolver(*args: Any, **kwargs: Any) -> Any:
            return resolver(*args, **kwargs)

        return unmarked_resolver

    monkeypatch.setattr(GraphQLCoreConverter, "from_resolver", unmarked)

    # when the names are checked
    message = _moved()

    # then the error says which mark is gone
    assert "_is_default" in message


ENGINE = Path(__file__).resolve().parents[2] / "engine"
# Documented API of the libraries that graphql-core's and strawberry's top-level exports
# do not cover.
PUBLIC = {
    ("strawberry.types", "ExecutionResult"),
    ("strawberry.types.graphql", "OperationType"),
    ("strawberry.extensions", "SchemaExtension"),
    ("graphql.pyutils", "Path"),
}


def _library_imports() -> set[tuple[str, str, str]]:
    """(engine module, library module, name) of every import from the two libraries."""
    found = set()
    for source in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.split(".")[0] in ("graphql", "strawberry")
            ):
                found.update((source.name, node.module, a.name) for a in node.names)
    return found


def test_every_name_the_engine_imports_from_the_libraries_is_public_or_listed():
    # given every import of the engine from strawberry and graphql-core
    imports = _library_imports()
    assert imports

    # when those neither exported by the libraries' top level, documented, nor listed are kept
    listed = {(n.module, n.path.split(".")[0]) for n in PRIVATE_NAMES}
    unlisted = sorted(
        (engine_module, f"{module}.{name}")
        for engine_module, module, name in imports
        if (module, name) not in listed | PUBLIC
        and not (module.startswith("graphql") and name in graphql.__all__)
        and not (module == "strawberry" and name in strawberry.__all__)
    )

    # then there are none: a new private import goes into engine/private_names.py
    assert unlisted == []
