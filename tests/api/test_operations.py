"""The documents clients send (graphql/operations/) stay valid against the schema.

Each file holds exactly one operation, named after the file, and passes values through
variables, never literals, so one parsed document serves every call and can be persisted.
`loyalty persisted-queries` lists every one of them by the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLSchema,
    GraphQLSyntaxError,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    parse,
    validate,
    visit,
)
from graphql import Node as AstNode

from api.cli import parser
from api.schema.build import build_schema
from api.settings import Settings

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
FILES = sorted(OPERATIONS.rglob("*.graphql"))
CLIENTS = ("storefront", "mobile", "agency")
LITERALS = (
    IntValueNode,
    FloatValueNode,
    StringValueNode,
    BooleanValueNode,
    EnumValueNode,
    NullValueNode,
)


@cache
def schema() -> GraphQLSchema:
    return build_schema(Settings(secret_key="x"))._schema


class _Literals(Visitor):
    """Collects literal values outside variable definitions (whose defaults are fine)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[AstNode] = []

    def enter_variable_definition(self, *_: object) -> bool:
        return False  # skip the subtree: a default value is not a literal argument

    def enter(self, node: AstNode, *_: object) -> None:
        if isinstance(node, LITERALS):
            self.found.append(node)


def problems(source: str, stem: str) -> list[str]:
    """Everything wrong with one document; empty when it is fit to ship."""
    try:
        document: DocumentNode = parse(source)
    except GraphQLSyntaxError as exc:
        return [f"syntax: {exc.message}"]
    found = [f"invalid: {e.message}" for e in validate(schema(), document)]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        found.append(f"holds {len(operations)} operations, not one")
    for op in operations:
        name = op.name.value if op.name else None
        if name != stem:
            found.append(f"operation is named {name!r}, the file {stem!r}")
    literals = _Literals()
    visit(document, literals)
    found += [f"literal {_where(n)}: pass it as a variable" for n in literals.found]
    return found


def _where(node: AstNode) -> str:
    if node.loc is None:
        return type(node).__name__
    line = node.loc.source.get_location(node.loc.start).line
    return f"{type(node).__name__} on line {line}"


def _id(path: Path) -> str:
    return str(path.relative_to(OPERATIONS))


def test_every_client_has_operations():
    for client in CLIENTS:
        assert list((OPERATIONS / client).glob("*.graphql")), f"no operations for {client}"


def test_operations_folder_holds_only_graphql_documents():
    others = [p for p in OPERATIONS.rglob("*") if p.is_file() and p.suffix != ".graphql"]
    assert not others


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_operation_is_valid_and_named_after_its_file(path: Path):
    assert problems(path.read_text(), path.stem) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("query Me { me { id nope } }", "invalid"),
        ("query Me { me { id }", "syntax"),
        ("query Other { me { id } }", "named"),
        ("query Me { me { id } } query Me2 { me { id } }", "2 operations"),
        ("{ me { id } }", "named None"),
        ('query Me { member(externalId: "c-1") { id } }', "literal"),
    ],
)
def test_a_broken_document_is_caught(source: str, expected: str):
    assert any(expected in p for p in problems(source, "Me"))


def test_the_manifest_lists_every_operation_by_the_sha256_of_its_bytes(capsys):
    args = parser().parse_args(["persisted-queries"])

    assert args.fn(args) == 0

    manifest = json.loads(capsys.readouterr().out)
    expected = {
        hashlib.sha256(path.read_bytes()).hexdigest(): {
            "name": path.stem,
            "client": path.parent.name,
            "path": f"graphql/operations/{_id(path)}",
        }
        for path in FILES
    }
    assert len(expected) == len(FILES), "two documents share a hash: one would be unlisted"
    assert manifest == expected
